package isolation

import (
	"fmt"
	"time"

	"github.com/dockeronline/platform/pkg/config"
)

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
	if o.Check <= 0 {
		return o, fmt.Errorf("config: RUNNER_FIREWALL_CHECK=%s must be positive", o.Check)
	}
	return o, nil
}
