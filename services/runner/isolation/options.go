package isolation

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/dockeronline/platform/pkg/config"
)

// DefaultBuildSubnet is RUNNER_BUILDKIT_SUBNET's default: outside Docker's
// default pools (172.17.0.0/16 and up, 192.168.0.0/16).
const DefaultBuildSubnet = "10.213.0.0/16"

// Options configure the host firewall.
type Options struct {
	// Enabled installs and keeps the rules (RUNNER_FIREWALL, "on"; "off"
	// for hosts where another tool owns the firewall).
	Enabled bool
	// Check is how often the rules are re-checked besides after each
	// network event (RUNNER_FIREWALL_CHECK, 30s).
	Check time.Duration
	// NFT is the nft binary (RUNNER_FIREWALL_NFT, "nft" on PATH).
	NFT string
	// BuildSubnet is the subnet standalone BuildKit's CNI config gives RUN
	// steps (RUNNER_BUILDKIT_SUBNET, 10.213.0.0/16; deploy/buildkit): the
	// firewall fences it in BuildTable whether or not this runner builds
	// with BuildKit. It must not overlap Docker's address pools.
	BuildSubnet netip.Prefix
}

// LoadOptions reads the environment.
func LoadOptions(e *config.Env) (Options, error) {
	o := Options{
		Check: e.Duration("RUNNER_FIREWALL_CHECK", 30*time.Second),
		NFT:   e.String("RUNNER_FIREWALL_NFT", "nft"),
	}
	switch v := e.String("RUNNER_FIREWALL", "on"); v {
	case "on":
		o.Enabled = true
	case "off":
	default:
		return o, fmt.Errorf("config: RUNNER_FIREWALL=%q must be on or off", v)
	}
	sub := e.String("RUNNER_BUILDKIT_SUBNET", DefaultBuildSubnet)
	p, err := netip.ParsePrefix(sub)
	if err != nil || !p.Addr().Is4() || p.Bits() < 8 || p.Bits() > 28 {
		return o, fmt.Errorf("config: RUNNER_BUILDKIT_SUBNET=%q must be an IPv4 subnet between /8 and /28", sub)
	}
	o.BuildSubnet = p.Masked()
	if o.Check <= 0 {
		return o, fmt.Errorf("config: RUNNER_FIREWALL_CHECK=%s must be positive", o.Check)
	}
	return o, nil
}
