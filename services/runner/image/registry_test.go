package image

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/dockeronline/platform/pkg/apierr"
)

// hosts is a resolver answering from a table, as DNS and /etc/hosts would
// for these names (a name outside it does not resolve): the gate's
// judgement is pure logic over the answers; the bait tests drive the real
// engine.
type hosts map[string][]string

func (h hosts) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	addrs, ok := h[host]
	if !ok {
		return nil, errors.New("no such host")
	}
	var out []netip.Addr
	for _, a := range addrs {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

// TestResolver answers the names the SSRF tests use like glibc and DNS
// would: numeric forms and rebinding services point at loopback.
var TestResolver = hosts{
	"localhost":           {"127.0.0.1", "::1"},
	"127.1":               {"127.0.0.1"},
	"0x7f000001":          {"127.0.0.1"},
	"2130706433":          {"127.0.0.1"},
	"127.0.0.1.nip.io":    {"127.0.0.1"},
	"ghcr.io":             {"140.82.112.33"},
	"rebind.example":      {"44.208.254.194", "127.0.0.1"},
	"metadata.example":    {"169.254.169.254"},
	"private.example":     {"10.1.2.3"},
	"ula.example":         {"fd00::1"},
	"cgnat.example":       {"100.64.0.1"},
	"mapped.example":      {"::ffff:127.0.0.1"},
	"nat64.example":       {"64:ff9b::7f00:1"},
	"unspecified.example": {"0.0.0.0"},
	"ourhost.example":     {"203.0.113.7"},
}

func TestRegistryGate(t *testing.T) {
	gate := registryGate{resolver: TestResolver, own: func() []netip.Addr { return []netip.Addr{netip.MustParseAddr("203.0.113.7")} }}
	cases := []struct {
		ref      string
		allowed  []string // RUNNER_PULL_REGISTRIES
		internal []string // RUNNER_PULL_INTERNAL_REGISTRIES
		rule     string   // "" = allowed
	}{
		{ref: "busybox"}, // Docker Hub: no lookup (the resolver does not know it)
		{ref: "alice/app:1"},
		{ref: "ghcr.io/acme/app:1"},
		{ref: "ghcr.io/acme/app:1", allowed: []string{"docker.io"}, rule: RuleRegistry},
		{ref: "busybox", allowed: []string{"docker.io"}},
		{ref: "127.0.0.1:5000/x", rule: RuleInternalRegistry},
		{ref: "[::1]:5000/x", rule: RuleInternalRegistry},
		{ref: "8.8.8.8:5000/x", rule: RuleInternalRegistry}, // any IP literal
		{ref: "localhost:5000/x", rule: RuleInternalRegistry},
		{ref: "127.1:5000/x", rule: RuleInternalRegistry},
		{ref: "0x7f000001:5000/x", rule: RuleInternalRegistry},
		{ref: "2130706433:5000/x", rule: RuleInternalRegistry},
		{ref: "127.0.0.1.nip.io:5000/x", rule: RuleInternalRegistry},
		{ref: "rebind.example/x", rule: RuleInternalRegistry}, // one bad address is enough
		{ref: "metadata.example/x", rule: RuleInternalRegistry},
		{ref: "private.example/x", rule: RuleInternalRegistry},
		{ref: "ula.example/x", rule: RuleInternalRegistry},
		{ref: "cgnat.example/x", rule: RuleInternalRegistry},
		{ref: "mapped.example/x", rule: RuleInternalRegistry},
		{ref: "nat64.example/x", rule: RuleInternalRegistry},
		{ref: "unspecified.example/x", rule: RuleInternalRegistry},
		{ref: "ourhost.example/x", rule: RuleInternalRegistry}, // the Docker host's own address
		{ref: "nowhere.example/x", rule: RuleInternalRegistry}, // does not resolve
		// The allow-list does not lift the internal rule …
		{ref: "127.0.0.1:5000/x", allowed: []string{"127.0.0.1:5000"}, rule: RuleInternalRegistry},
		// … only an explicit internal entry does: exact, or a host for any port.
		{ref: "127.0.0.1:5000/x", internal: []string{"127.0.0.1:5000"}},
		{ref: "127.0.0.1:5001/x", internal: []string{"127.0.0.1:5000"}, rule: RuleInternalRegistry},
		{ref: "127.0.0.1:5001/x", internal: []string{"127.0.0.1"}},
		{ref: "[::1]:5000/x", internal: []string{"[::1]"}},
		{ref: "localhost:5000/x", internal: []string{"127.0.0.1"}, rule: RuleInternalRegistry},
		{ref: "127.0.0.1:5000/x", allowed: []string{"docker.io"}, internal: []string{"127.0.0.1:5000"}, rule: RuleRegistry},
	}
	for _, c := range cases {
		t.Run(c.ref, func(t *testing.T) {
			g := gate
			g.allowed, g.internal = c.allowed, c.internal
			named, familiar, err := Parse(c.ref)
			if err != nil {
				t.Fatal(err)
			}
			err = g.check(context.Background(), named, familiar)
			if c.rule == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ae *apierr.Error
			if !errors.As(err, &ae) || ae.Code != apierr.CodePolicy || ae.Rule != c.rule {
				t.Fatalf("got %v, want rule %s", err, c.rule)
			}
		})
	}
}

func TestPublicDomainNeedsNoLookup(t *testing.T) {
	cases := []struct {
		domain   string
		allowed  []string
		internal []string
		want     bool
	}{
		{domain: "docker.io", want: true},
		{domain: "docker.io", allowed: []string{"docker.io"}, want: true},
		{domain: "ghcr.io", allowed: []string{"docker.io"}, want: false},
		{domain: "127.0.0.1:5000", want: false},
		{domain: "localhost:5000", want: false},
		{domain: "127.0.0.1:5000", internal: []string{"127.0.0.1:5000"}, want: true},
	}
	for _, c := range cases {
		g := registryGate{allowed: c.allowed, internal: c.internal, resolver: hosts{}}
		if got := g.publicDomain(c.domain); got != c.want {
			t.Errorf("publicDomain(%q) with %v/%v = %v, want %v", c.domain, c.allowed, c.internal, got, c.want)
		}
	}
}
