package policy

import (
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/dockeronline/platform/pkg/apierr"
)

// Bounds on the lists of a create request that no setting covers. Each is
// far above what a real application uses and far below what would cost
// the runner or dockerd memory: a create is judged, stored as labels and
// config in Docker and shown back on every list.
const (
	maxLabels      = 128      // labels, the platform's and Compose's included
	maxLabelBytes  = 32 << 10 // keys and values together
	maxArgs        = 1024     // Cmd and Entrypoint entries, each
	maxArgBytes    = 128 << 10
	maxExtraHosts  = 64
	maxDNS         = 8 // servers, search domains
	maxDNSOptions  = 16
	maxPorts       = 256 // exposed ports and published bindings, each
	maxMounts      = 32  // Mounts, and Tmpfs entries
	maxSmallList   = 64  // CapAdd, CapDrop, SecurityOpt, GroupAdd, network aliases
	maxNetworks    = 16  // networks a container joins
	maxStringBytes = 4 << 10
	// minHealthInterval is the shortest health check interval: each check
	// is an exec that dockerd and containerd run outside the container's
	// limits (Docker's own minimum is 1 ms; its default 30 s).
	minHealthInterval = time.Second
)

// checkSizes bounds every list of a create request, on every path (the
// API, a raw host_config, Compose): the environment by the MaxEnv and
// MaxEnvBytes settings, the rest by the constants above.
func (e *Engine) checkSizes(cfg *container.Config, h *container.HostConfig) error {
	if cfg != nil {
		if err := e.checkEnvSize(cfg.Env); err != nil {
			return err
		}
		if err := CheckLabels(cfg.Labels); err != nil {
			return err
		}
		for what, l := range map[string][]string{"command": cfg.Cmd, "entrypoint": cfg.Entrypoint} {
			if n := bytesOf(l); len(l) > maxArgs || n > maxArgBytes {
				return sizeRule(what, len(l), n, maxArgs, maxArgBytes)
			}
		}
		if len(cfg.ExposedPorts) > maxPorts || len(cfg.Volumes) > maxMounts {
			return rule(apierr.CodeInvalid, RuleSize, "at most %d exposed ports and %d image volumes", maxPorts, maxMounts)
		}
		if err := CheckHealthcheck(cfg.Healthcheck); err != nil {
			return err
		}
		if len(cfg.WorkingDir) > maxStringBytes || len(cfg.User) > maxStringBytes || len(cfg.Hostname) > maxStringBytes {
			return rule(apierr.CodeInvalid, RuleSize, "working directory, user and hostname are at most %d bytes", maxStringBytes)
		}
	}
	bindings := 0
	for _, bs := range h.PortBindings {
		bindings += len(bs)
	}
	lists := []struct {
		what   string
		n, max int
	}{
		{"extra hosts", len(h.ExtraHosts), maxExtraHosts},
		{"DNS servers", len(h.DNS), maxDNS},
		{"DNS search domains", len(h.DNSSearch), maxDNS},
		{"DNS options", len(h.DNSOptions), maxDNSOptions},
		{"published ports", bindings, maxPorts},
		{"mounts", len(h.Mounts), maxMounts},
		{"tmpfs mounts", len(h.Tmpfs), maxMounts},
		{"added capabilities", len(h.CapAdd), maxSmallList},
		{"dropped capabilities", len(h.CapDrop), maxSmallList},
		{"security options", len(h.SecurityOpt), maxSmallList},
		{"groups", len(h.GroupAdd), maxSmallList},
	}
	for _, l := range lists {
		if l.n > l.max {
			return rule(apierr.CodeInvalid, RuleSize, "%d %s: at most %d are allowed", l.n, l.what, l.max)
		}
	}
	for _, s := range [][]string{h.ExtraHosts, h.DNSSearch, h.DNSOptions} {
		for _, v := range s {
			if len(v) > maxStringBytes {
				return rule(apierr.CodeInvalid, RuleSize, "an extra host, DNS search domain or option is longer than %d bytes", maxStringBytes)
			}
		}
	}
	return nil
}

// checkEnvSize bounds the environment: entries and total bytes.
func (e *Engine) checkEnvSize(env []string) error {
	if n := bytesOf(env); len(env) > e.Limits.MaxEnv || n > e.Limits.MaxEnvBytes {
		return sizeRule("environment", len(env), n, e.Limits.MaxEnv, e.Limits.MaxEnvBytes)
	}
	return nil
}

func bytesOf(l []string) int {
	n := 0
	for _, s := range l {
		n += len(s)
	}
	return n
}

func sizeRule(what string, entries, bytes, maxEntries, maxBytes int) error {
	return rule(apierr.CodeInvalid, RuleSize, "%s has %d entries, %d bytes: at most %d entries and %d bytes are allowed", what, entries, bytes, maxEntries, maxBytes)
}

// CheckHealthcheck bounds a health check, the container's or its image's:
// its command like a container's, its intervals at minHealthInterval.
func CheckHealthcheck(hc *container.HealthConfig) error {
	if hc == nil {
		return nil
	}
	if n := bytesOf(hc.Test); len(hc.Test) > maxArgs || n > maxArgBytes {
		return sizeRule("health check", len(hc.Test), n, maxArgs, maxArgBytes)
	}
	for what, d := range map[string]time.Duration{"interval": hc.Interval, "start interval": hc.StartInterval} {
		if d != 0 && d < minHealthInterval {
			return rule(apierr.CodePolicy, RuleHealthcheck, "health check %s %s is below %s: each check runs outside the container's limits", what, d, minHealthInterval)
		}
	}
	return nil
}

// CheckLabels bounds the labels of any object a user creates (container,
// volume, network, stack object): they are stored by Docker and shown on
// every list.
func CheckLabels(labels map[string]string) error {
	n := 0
	for k, v := range labels {
		n += len(k) + len(v)
	}
	if len(labels) > maxLabels || n > maxLabelBytes {
		return sizeRule("labels", len(labels), n, maxLabels, maxLabelBytes)
	}
	return nil
}

// CheckEndpoints bounds the networks a container joins and each one's
// aliases (Compose's networks: and aliases:).
func CheckEndpoints(nc *network.NetworkingConfig) error {
	if nc == nil {
		return nil
	}
	if len(nc.EndpointsConfig) > maxNetworks {
		return rule(apierr.CodeInvalid, RuleSize, "%d networks: a container joins at most %d", len(nc.EndpointsConfig), maxNetworks)
	}
	for name, ep := range nc.EndpointsConfig {
		if ep != nil && (len(ep.Aliases) > maxSmallList || len(ep.DNSNames) > maxSmallList) {
			return rule(apierr.CodeInvalid, RuleSize, "network %q: at most %d aliases", name, maxSmallList)
		}
	}
	return nil
}
