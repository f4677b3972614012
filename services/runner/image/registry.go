package image

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/distribution/reference"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/services/runner/policy"
)

// RuleRegistry is the rule that limits pulls to the configured registries.
const RuleRegistry = "image-registry"

// RuleInternalRegistry is the rule that keeps pulls off the platform's own
// networks (see policy.RuleInternalRegistry).
const RuleInternalRegistry = policy.RuleInternalRegistry

// resolveTimeout bounds the lookup of one registry name.
const resolveTimeout = 5 * time.Second

// Resolver looks names up; *net.Resolver is one, tests may pass another.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// AllowedRegistry refuses a pull of named from a registry not in allowed
// (empty: any). It is the allow-list alone, with no lookup; the container
// create path asks it again right before its own pull.
func AllowedRegistry(allowed []string, named reference.Named, ref string) error {
	if len(allowed) == 0 {
		return nil
	}
	domain := reference.Domain(named)
	if slices.Contains(allowed, domain) {
		return nil
	}
	return apierr.Policy(RuleRegistry, "pulling from %s is not allowed here (image %q); allowed registries: %s",
		domain, ref, strings.Join(allowed, ", "))
}

// registryGate judges the registry a pull would make the engine connect
// to. A pull is a request the Docker host sends where the reference says:
// aimed at the host's loopback or a private network it is server-side
// request forgery against the platform's own services (Kratos' admin API,
// NATS monitoring, the metadata service). So, besides the allow-list, a
// registry whose host is an IP literal, or a name that does not resolve or
// resolves to any internal address, is refused unless the operator lists
// it in internal (RUNNER_PULL_INTERNAL_REGISTRIES).
type registryGate struct {
	allowed  []string
	internal []string
	resolver Resolver
	// own are the addresses of this host's interfaces (the Docker host's,
	// when the runner runs on it): refused even when public.
	own func() []netip.Addr
}

func newRegistryGate(o Options) registryGate {
	r := o.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	return registryGate{allowed: o.Registries, internal: o.InternalRegistries, resolver: r, own: hostAddrs}
}

// check refuses a pull of named (familiar form ref) by the rules above.
func (g registryGate) check(ctx context.Context, named reference.Named, ref string) error {
	if err := AllowedRegistry(g.allowed, named, ref); err != nil {
		return err
	}
	domain := reference.Domain(named)
	if domain == dockerHub || internalAllowed(g.internal, domain) {
		// Docker Hub's address is the engine's own constant, never
		// the user's choice: nothing to look up.
		return nil
	}
	host := registryHost(domain)
	if _, err := netip.ParseAddr(host); err == nil {
		return internalErr(ref, domain, "its host is an IP address; registries are reached by name")
	}
	lctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	addrs, err := g.resolver.LookupNetIP(lctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return internalErr(ref, domain, "its name does not resolve here")
	}
	own := g.own()
	for _, a := range addrs {
		if internalAddr(a) || slices.Contains(own, a.Unmap()) {
			return internalErr(ref, domain, "its name resolves to "+a.Unmap().String()+", an address of the platform's own networks")
		}
	}
	return nil
}

// publicDomain is the check without a lookup, for images already on the
// host: they came from a registry the rules allowed when pulled, unless
// they name an IP literal or localhost no setting allows.
func (g registryGate) publicDomain(domain string) bool {
	if len(g.allowed) > 0 && !slices.Contains(g.allowed, domain) {
		return false
	}
	if internalAllowed(g.internal, domain) {
		return true
	}
	host := registryHost(domain)
	_, err := netip.ParseAddr(host)
	return err != nil && host != "localhost" && !strings.HasSuffix(host, ".localhost")
}

func internalErr(ref, domain, why string) *apierr.Error {
	return apierr.Policy(RuleInternalRegistry, "pulling %q from %s is not allowed: %s. Use a public registry; an operator can allow an internal one with RUNNER_PULL_INTERNAL_REGISTRIES", ref, domain, why)
}

// internalAllowed reports whether the operator allowed domain: an entry is
// a registry as references name it ("127.0.0.1:5000"), or a host alone
// ("127.0.0.1"), which allows it on any port.
func internalAllowed(allowed []string, domain string) bool {
	for _, a := range allowed {
		hostOnly := !strings.Contains(a, ":") || strings.HasPrefix(a, "[") && strings.HasSuffix(a, "]")
		if a == domain || hostOnly && strings.ToLower(strings.Trim(a, "[]")) == registryHost(domain) {
			return true
		}
	}
	return false
}

// dockerHub is Docker Hub's domain in references.
const dockerHub = "docker.io"

// registryHost is the host the engine dials for domain: the port and an
// IPv6 literal's brackets go.
func registryHost(domain string) string {
	host := domain
	if h, _, err := net.SplitHostPort(domain); err == nil {
		host = h
	}
	return strings.ToLower(strings.Trim(host, "[]"))
}

// nonPublic are ranges that are neither loopback, private nor link-local
// by netip's rules, yet reach no public registry: this network, shared
// address space (CGNAT), IETF protocol assignments, benchmarking,
// reserved, NAT64 (it maps onto IPv4 ones) and 6to4.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2002::/16"),
}

// internalAddr reports whether a is an address no public registry has:
// loopback, private (RFC 1918, ULA), link-local (the metadata service),
// unspecified, multicast, or one of nonPublic.
func internalAddr(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() || !a.IsValid() {
		return true
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// hostAddrs are the addresses of this host's interfaces.
func hostAddrs() []netip.Addr {
	ifs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, ia := range ifs {
		if p, err := netip.ParsePrefix(ia.String()); err == nil {
			out = append(out, p.Addr().Unmap())
		}
	}
	return out
}
