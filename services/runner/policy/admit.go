package policy

import (
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/names"
)

// capAllow are the capabilities a user may add: harmless ones that common
// images (web servers dropping privileges, chown in entrypoints) expect.
var capAllow = map[string]bool{
	"CHOWN": true, "DAC_OVERRIDE": true, "FOWNER": true, "FSETID": true,
	"KILL": true, "SETGID": true, "SETUID": true, "SETPCAP": true,
	"NET_BIND_SERVICE": true, "SYS_CHROOT": true, "AUDIT_WRITE": true, "SETFCAP": true,
}

// Admit decides whether the final Docker objects may be created for tenant
// t on behalf of caller c. It looks only at what Docker will receive, so no
// path (API field, compose key, build option) can slip something past it.
// Admins are trusted with host options; limits still apply to them.
func (e *Engine) Admit(c identity.Caller, t Tenant, cfg *container.Config, h *container.HostConfig) error {
	if h == nil {
		return rule(apierr.CodeInvalid, RuleNetwork, "host config is required")
	}
	if h.Memory > e.Limits.MaxMemoryMB<<20 {
		return rule(apierr.CodeInvalid, RuleMemory, "memory limit %d MB is above the maximum of %d MB", h.Memory>>20, e.Limits.MaxMemoryMB)
	}
	if h.NanoCPUs > int64(e.Limits.MaxCPUs*1e9) {
		return rule(apierr.CodeInvalid, RuleCPU, "CPU limit %g is above the maximum of %g", float64(h.NanoCPUs)/1e9, e.Limits.MaxCPUs)
	}
	// Limits and bounds hold for admins too.
	if err := e.checkBounded(h); err != nil {
		return err
	}
	if err := e.checkSizes(cfg, h); err != nil {
		return err
	}
	if err := checkWorkdir(cfg); err != nil {
		return err
	}
	if c.IsAdmin() {
		return nil
	}
	checks := []func(Tenant, *container.HostConfig) error{
		checkPrivileged, checkCaps, checkDevices, checkNamespaces, checkSecurityOpt,
		checkBinds, checkMounts, checkMountTargets, checkNetwork, checkMisc,
	}
	for _, check := range checks {
		if err := check(t, h); err != nil {
			return err
		}
	}
	return e.checkPublish(h)
}

func checkPrivileged(_ Tenant, h *container.HostConfig) error {
	if h.Privileged {
		return rule(apierr.CodePolicy, RulePrivileged, "privileged containers are not allowed")
	}
	return nil
}

func checkCaps(_ Tenant, h *container.HostConfig) error {
	for _, c := range h.CapAdd {
		n := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(c)), "CAP_")
		if !capAllow[n] {
			return rule(apierr.CodePolicy, RuleCapAdd, "capability %q is not allowed (allowed: CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID, SETUID, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, AUDIT_WRITE, SETFCAP)", c)
		}
	}
	return nil
}

func checkDevices(_ Tenant, h *container.HostConfig) error {
	if len(h.Devices) > 0 || len(h.DeviceRequests) > 0 || len(h.DeviceCgroupRules) > 0 {
		return rule(apierr.CodePolicy, RuleDevices, "host devices are not allowed")
	}
	return nil
}

func checkNamespaces(_ Tenant, h *container.HostConfig) error {
	modes := map[string]string{
		"pid": string(h.PidMode), "ipc": string(h.IpcMode), "uts": string(h.UTSMode),
		"userns": string(h.UsernsMode), "cgroupns": string(h.CgroupnsMode),
	}
	for ns, mode := range modes {
		m := strings.ToLower(strings.TrimSpace(mode))
		switch {
		case m == "", m == "private", m == "none" && ns == "ipc", m == "shareable" && ns == "ipc":
		default:
			return rule(apierr.CodePolicy, RuleHostNS, "%s mode %q is not allowed: containers get their own namespaces", ns, mode)
		}
	}
	return nil
}

func checkSecurityOpt(_ Tenant, h *container.HostConfig) error {
	for _, o := range h.SecurityOpt {
		if o != "no-new-privileges" && o != "no-new-privileges:true" && o != "no-new-privileges=true" {
			return rule(apierr.CodePolicy, RuleSecurityOpt, "security option %q is not allowed", o)
		}
	}
	if len(h.Sysctls) > 0 {
		return rule(apierr.CodePolicy, RuleSysctls, "sysctls are not allowed")
	}
	// Empty lists would unmask /proc and /sys paths Docker hides by default.
	if h.MaskedPaths != nil || h.ReadonlyPaths != nil {
		return rule(apierr.CodePolicy, RuleSecurityOpt, "masked and read-only paths may not be changed")
	}
	return nil
}

func mentionsDockerSocket(s string) bool {
	s = strings.ToLower(s)
	return strings.Contains(s, "docker.sock") || strings.Contains(s, "containerd.sock") || strings.HasSuffix(strings.TrimRight(s, "/"), "/var/run") || strings.HasSuffix(strings.TrimRight(s, "/"), "/run")
}

func checkBinds(_ Tenant, h *container.HostConfig) error {
	for _, b := range h.Binds {
		if src, _, _ := strings.Cut(b, ":"); mentionsDockerSocket(src) {
			return rule(apierr.CodePolicy, RuleDockerSock, "the Docker socket may not be mounted")
		}
	}
	if len(h.Binds) > 0 {
		return rule(apierr.CodePolicy, RuleBindMounts, "bind mount %q is not allowed: use a named volume", h.Binds[0])
	}
	if len(h.VolumesFrom) > 0 {
		return rule(apierr.CodePolicy, RuleVolumes, "volumes-from is not allowed: mount your named volumes instead")
	}
	return nil
}

func checkMounts(t Tenant, h *container.HostConfig) error {
	for _, m := range h.Mounts {
		switch m.Type {
		case mount.TypeBind:
			if mentionsDockerSocket(m.Source) {
				return rule(apierr.CodePolicy, RuleDockerSock, "the Docker socket may not be mounted")
			}
			return rule(apierr.CodePolicy, RuleBindMounts, "bind mount of %q is not allowed: use a named volume", m.Source)
		case mount.TypeVolume:
			if m.VolumeOptions != nil && m.VolumeOptions.DriverConfig != nil {
				if err := checkVolumeDriver(m.VolumeOptions.DriverConfig.Name, m.VolumeOptions.DriverConfig.Options); err != nil {
					return err
				}
			}
			if m.Source == "" {
				continue // anonymous volume, private to the container
			}
			if u, _, ok := names.SplitDocker(m.Source); !ok || u != t.Username {
				return rule(apierr.CodePolicy, RuleVolumes, "volume %q is not one of your volumes", m.Source)
			}
		case mount.TypeTmpfs:
		default:
			return rule(apierr.CodePolicy, RuleBindMounts, "mount type %q is not allowed", m.Type)
		}
	}
	return nil
}

// CheckVolumeDriver refuses local-driver options that turn a volume into a
// bind mount of a host path (o=bind, device=/…) and any non-local driver.
func checkVolumeDriver(driver string, opts map[string]string) error {
	if driver != "" && driver != "local" {
		return rule(apierr.CodePolicy, RuleVolumes, "volume driver %q is not allowed", driver)
	}
	// The socket rule first, so the refusal names the worst problem
	// whatever the map's order.
	for _, v := range opts {
		if mentionsDockerSocket(v) {
			return rule(apierr.CodePolicy, RuleDockerSock, "the Docker socket may not be mounted")
		}
	}
	for k, v := range opts {
		k = strings.ToLower(k)
		if k == "device" || (k == "o" && strings.Contains(strings.ToLower(v), "bind")) || k == "type" && v != "tmpfs" {
			return rule(apierr.CodePolicy, RuleBindMounts, "volume option %s=%q would mount a host path", k, v)
		}
	}
	return nil
}

// CheckVolumeDriver is checkVolumeDriver for volume creation.
func (e *Engine) CheckVolumeDriver(c identity.Caller, driver string, opts map[string]string) error {
	if c.IsAdmin() {
		return nil
	}
	return checkVolumeDriver(driver, opts)
}

func checkNetwork(t Tenant, h *container.HostConfig) error {
	m := string(h.NetworkMode)
	switch {
	case m == "none":
		return nil
	case m == "host":
		return rule(apierr.CodePolicy, RuleHostNS, "the host network is not allowed")
	case strings.HasPrefix(m, "container:"):
		return rule(apierr.CodePolicy, RuleNetwork, "sharing another container's network is not allowed")
	}
	if u, _, ok := names.SplitDocker(m); !ok || u != t.Username {
		return rule(apierr.CodePolicy, RuleNetwork, "network %q is not one of your networks", m)
	}
	return nil
}

// checkPublish lets host ports through only inside the admin's range, on
// all addresses (a HostIP could target one of the host's own interfaces).
func (e *Engine) checkPublish(h *container.HostConfig) error {
	if h.PublishAllPorts {
		return rule(apierr.CodePolicy, RulePublish, "publishing all ports picks random host ports: publish chosen ports from %s instead", e.publishRange())
	}
	for port, bs := range h.PortBindings {
		for _, b := range bs {
			n, err := strconv.Atoi(b.HostPort)
			if err != nil || e.Limits.PublishMax == 0 || n < e.Limits.PublishMin || n > e.Limits.PublishMax {
				return rule(apierr.CodePolicy, RulePublish, "host port %q for %s is outside the range users may publish on (%s); exposed ports get a web link through the proxy", b.HostPort, port, e.publishRange())
			}
			if b.HostIP.IsValid() && !b.HostIP.IsUnspecified() {
				return rule(apierr.CodePolicy, RulePublish, "publishing on a chosen host address (%s) is not allowed", b.HostIP)
			}
		}
	}
	return nil
}

func checkMisc(_ Tenant, h *container.HostConfig) error {
	switch {
	case !platformRuntime(h.Runtime):
		return rule(apierr.CodePolicy, RuleRuntime, "runtime %q is not allowed", h.Runtime)
	case h.CgroupParent != "" || h.Cgroup != "":
		return rule(apierr.CodePolicy, RuleCgroup, "cgroup overrides are not allowed")
	case h.OomKillDisable != nil && *h.OomKillDisable:
		return rule(apierr.CodePolicy, RuleCgroup, "disabling the OOM killer is not allowed")
	case h.OomScoreAdj < 0:
		return rule(apierr.CodePolicy, RuleCgroup, "a negative OOM score would make the host kill others first")
	case len(h.Links) > 0:
		return rule(apierr.CodePolicy, RuleLinks, "legacy links are not allowed: containers on your network reach each other by name")
	}
	return nil
}
