package policy

import (
	"reflect"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"

	"github.com/dockeronline/platform/pkg/apierr"
)

// shmDefault is the /dev/shm Docker gives a container that asks for none.
// Every container has it; it is part of the memory figure a container is
// counted with, so only a larger /dev/shm counts extra (see TmpfsBytes).
const shmDefault = 64 << 20

// Bound makes the resource part of h an allow-list: it builds h.Resources
// afresh from the inputs the platform allows — memory, nano CPUs, a memory
// reservation under the limit, the pids limit, capped ulimits — and refuses
// every other resource field by name (CPU shares, quotas and cpusets,
// real-time CPU, swap, block I/O, OOM killer off, Windows counters). It
// also sizes every tmpfs mount, bounds /dev/shm, makes the cgroup
// namespace private, and applies the platform's defaults (ApplyDefaults).
// Whatever path built h (API, raw host_config, Compose), Docker receives
// only what Bound set. It is idempotent: Admit re-runs it to check that.
// Host options that are not limits (devices, cgroup parent) are carried
// over for Admit to judge by their own rules: admins may use them.
func (e *Engine) Bound(h *container.HostConfig) error {
	in := h.Resources
	if err := e.refuseResources(in, e.pidsLimit(h.Runtime)); err != nil {
		return err
	}
	out := container.Resources{
		Memory:            in.Memory,
		NanoCPUs:          in.NanoCPUs,
		MemoryReservation: in.MemoryReservation,
		// Judged by checkDevices and checkMisc (admins may use them).
		CgroupParent:      in.CgroupParent,
		Devices:           in.Devices,
		DeviceCgroupRules: in.DeviceCgroupRules,
		DeviceRequests:    in.DeviceRequests,
	}
	if out.Memory <= 0 {
		out.Memory = e.Limits.DefaultMemoryMB << 20
	}
	if out.NanoCPUs <= 0 {
		out.NanoCPUs = int64(e.Limits.DefaultCPUs * 1e9)
	}
	if out.MemoryReservation > out.Memory {
		return rule(apierr.CodeInvalid, RuleMemory, "MemoryReservation %d is above the memory limit %d", out.MemoryReservation, out.Memory)
	}
	out.MemorySwap = out.Memory // no swap beyond the memory limit
	pids := e.pidsLimit(h.Runtime)
	out.PidsLimit = &pids
	ul, err := e.ulimits(in.Ulimits)
	if err != nil {
		return err
	}
	out.Ulimits = ul
	h.Resources = out

	if err := e.boundTmpfs(h); err != nil {
		return err
	}
	if h.CgroupnsMode == "" {
		h.CgroupnsMode = container.CgroupnsModePrivate
	}
	e.ApplyDefaults(h)
	return nil
}

// refuseResources names the first resource field the platform does not
// let users set. Zero values are "not set".
func (e *Engine) refuseResources(r container.Resources, pids int64) error {
	cpu := func(field string) error {
		return rule(apierr.CodePolicy, RuleCPUOptions, "%s is not allowed: set cpus (NanoCpus) up to %g instead; the platform schedules CPU fairly", field, e.Limits.MaxCPUs)
	}
	switch {
	case r.CPUShares != 0:
		return cpu("CpuShares")
	case r.CPUQuota != 0:
		return cpu("CpuQuota")
	case r.CPUPeriod != 0:
		return cpu("CpuPeriod")
	case r.CPURealtimePeriod != 0:
		return cpu("CpuRealtimePeriod")
	case r.CPURealtimeRuntime != 0:
		return cpu("CpuRealtimeRuntime")
	case r.CpusetCpus != "":
		return cpu("CpusetCpus")
	case r.CpusetMems != "":
		return cpu("CpusetMems")
	case r.CPUCount != 0:
		return cpu("CpuCount")
	case r.CPUPercent != 0:
		return cpu("CpuPercent")
	case r.NanoCPUs < 0:
		return rule(apierr.CodeInvalid, RuleCPU, "NanoCpus %d is negative", r.NanoCPUs)
	case r.Memory > e.Limits.MaxMemoryMB<<20:
		return rule(apierr.CodeInvalid, RuleMemory, "memory limit %d MB is above the maximum of %d MB", r.Memory>>20, e.Limits.MaxMemoryMB)
	case r.Memory < 0 || r.MemoryReservation < 0:
		return rule(apierr.CodeInvalid, RuleMemory, "memory limits may not be negative")
	case r.MemorySwap != 0 && r.MemorySwap != r.Memory:
		return rule(apierr.CodePolicy, RuleSwap, "MemorySwap %d is not allowed: containers get no swap beyond their memory limit (leave it unset)", r.MemorySwap)
	case r.MemorySwappiness != nil:
		return rule(apierr.CodePolicy, RuleSwap, "MemorySwappiness is not allowed: containers get no swap")
	case r.BlkioWeight != 0 || len(r.BlkioWeightDevice) > 0:
		return rule(apierr.CodePolicy, RuleBlkio, "block I/O weights are not allowed")
	case len(r.BlkioDeviceReadBps)+len(r.BlkioDeviceWriteBps)+len(r.BlkioDeviceReadIOps)+len(r.BlkioDeviceWriteIOps) > 0:
		return rule(apierr.CodePolicy, RuleBlkio, "block I/O throttles name host devices; not allowed")
	case r.IOMaximumIOps != 0 || r.IOMaximumBandwidth != 0:
		return rule(apierr.CodePolicy, RuleBlkio, "IOMaximumIOps and IOMaximumBandwidth are not allowed")
	case r.OomKillDisable != nil && *r.OomKillDisable:
		return rule(apierr.CodePolicy, RuleCgroup, "disabling the OOM killer is not allowed")
	case r.PidsLimit != nil && *r.PidsLimit < 0:
		return rule(apierr.CodePolicy, RulePids, "an unlimited pids limit (%d) is not allowed: the limit is %d", *r.PidsLimit, pids)
	case r.PidsLimit != nil && *r.PidsLimit > pids:
		return rule(apierr.CodePolicy, RulePids, "pids limit %d is above the platform's %d", *r.PidsLimit, pids)
	}
	return nil
}

// ulimitCaps are the ulimits a user may set and their ceilings (0 for
// nofile means the MaxNofile setting). nproc is per user id across the
// whole host, not per container; memlock, rtprio and the rest reach past
// the cgroup's limits.
var ulimitCaps = map[string]int64{"nofile": 0, "core": 0, "stack": 64 << 20}

func (e *Engine) ulimits(in []*container.Ulimit) ([]*container.Ulimit, error) {
	if len(in) == 0 {
		return nil, nil
	}
	if len(in) > len(ulimitCaps) {
		return nil, rule(apierr.CodeInvalid, RuleUlimits, "%d ulimits: at most nofile, core and stack may be set", len(in))
	}
	out := make([]*container.Ulimit, 0, len(in))
	seen := map[string]bool{}
	for _, u := range in {
		if u == nil {
			continue
		}
		name := strings.ToLower(u.Name)
		limit, ok := ulimitCaps[name]
		if !ok {
			return nil, rule(apierr.CodePolicy, RuleUlimits, "ulimit %q is not allowed (allowed: nofile up to %d, core 0, stack up to 64 MiB)", u.Name, e.Limits.MaxNofile)
		}
		if name == "nofile" {
			limit = e.Limits.MaxNofile
		}
		if seen[name] {
			return nil, rule(apierr.CodeInvalid, RuleUlimits, "ulimit %q is set twice", u.Name)
		}
		seen[name] = true
		if u.Soft < 0 || u.Hard < 0 || u.Soft > u.Hard || u.Hard > limit {
			return nil, rule(apierr.CodePolicy, RuleUlimits, "ulimit %s=%d:%d must be 0 <= soft <= hard <= %d", u.Name, u.Soft, u.Hard, limit)
		}
		out = append(out, &container.Ulimit{Name: name, Soft: u.Soft, Hard: u.Hard})
	}
	return out, nil
}

// tmpfsOptions are the options a tmpfs may carry besides its size: flags
// and ownership. nr_inodes=0, mpol and huge pages reach past the limits.
var tmpfsOptions = map[string]bool{
	"mode": true, "uid": true, "gid": true,
	"ro": true, "rw": true, "exec": true, "noexec": true, "nosuid": true, "nodev": true,
	"noatime": true, "relatime": true,
}

// boundTmpfs gives every tmpfs (HostConfig.Tmpfs and tmpfs Mounts) a size
// — TmpfsDefaultMB when it names none — and caps the tmpfs mounts and
// /dev/shm together at TmpfsMaxMB. It builds new maps and slices: h may
// share them with its caller.
func (e *Engine) boundTmpfs(h *container.HostConfig) error {
	def := e.Limits.TmpfsDefaultMB << 20
	if h.ShmSize < 0 {
		return rule(apierr.CodeInvalid, RuleTmpfs, "ShmSize may not be negative")
	}
	if h.ShmSize == 0 {
		h.ShmSize = shmDefault
	}
	total := h.ShmSize
	if len(h.Tmpfs) > 0 {
		tm := make(map[string]string, len(h.Tmpfs))
		for target, opts := range h.Tmpfs {
			size, canon, err := tmpfsSize(target, opts, def)
			if err != nil {
				return err
			}
			total += size
			tm[target] = canon
		}
		h.Tmpfs = tm
	} else {
		h.Tmpfs = nil
	}
	if len(h.Mounts) > 0 {
		ms := append(h.Mounts[:0:0], h.Mounts...)
		for i, m := range ms {
			if m.Type != mount.TypeTmpfs {
				continue
			}
			o := mountTmpfs(m.TmpfsOptions)
			if o.SizeBytes < 0 {
				return rule(apierr.CodeInvalid, RuleTmpfs, "tmpfs at %q: size may not be negative", m.Target)
			}
			if o.SizeBytes == 0 {
				o.SizeBytes = def
			}
			for _, opt := range o.Options {
				if len(opt) == 0 || !tmpfsOptions[strings.ToLower(opt[0])] {
					return rule(apierr.CodePolicy, RuleTmpfs, "tmpfs at %q: option %q is not allowed", m.Target, opt)
				}
			}
			total += o.SizeBytes
			ms[i].TmpfsOptions = o
		}
		h.Mounts = ms
	}
	if max := e.Limits.TmpfsMaxMB << 20; total > max {
		return rule(apierr.CodePolicy, RuleTmpfs, "tmpfs mounts and /dev/shm add up to %d MB, above the %d MB allowed: they are memory", total>>20, e.Limits.TmpfsMaxMB)
	}
	return nil
}

func mountTmpfs(o *mount.TmpfsOptions) *mount.TmpfsOptions {
	if o == nil {
		return &mount.TmpfsOptions{}
	}
	c := *o
	return &c
}

// tmpfsSize reads a HostConfig.Tmpfs entry's options ("size=64m,mode=1777")
// and returns its size and the options with the size in bytes first.
func tmpfsSize(target, opts string, def int64) (int64, string, error) {
	size := int64(-1)
	var rest []string
	for _, o := range strings.Split(opts, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		k, v, _ := strings.Cut(o, "=")
		switch k = strings.ToLower(k); {
		case k == "size":
			n, err := parseSize(v)
			if err != nil || size >= 0 {
				return 0, "", rule(apierr.CodeInvalid, RuleTmpfs, "tmpfs at %q: size %q must be given once, in bytes or with k, m or g", target, v)
			}
			size = n
		case tmpfsOptions[k]:
			rest = append(rest, o)
		default:
			return 0, "", rule(apierr.CodePolicy, RuleTmpfs, "tmpfs at %q: option %q is not allowed", target, o)
		}
	}
	if size <= 0 {
		size = def
	}
	return size, strings.Join(append([]string{"size=" + strconv.FormatInt(size, 10)}, rest...), ","), nil
}

// parseSize reads a tmpfs size the way the kernel does, but without
// percentages (a share of the host's memory is not a bound).
func parseSize(v string) (int64, error) {
	mult := int64(1)
	if n := len(v); n > 0 {
		switch v[n-1] {
		case 'k', 'K':
			mult, v = 1<<10, v[:n-1]
		case 'm', 'M':
			mult, v = 1<<20, v[:n-1]
		case 'g', 'G':
			mult, v = 1<<30, v[:n-1]
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n > (1<<50)/mult {
		return 0, strconv.ErrRange
	}
	return n * mult, nil
}

// TmpfsBytes is the memory a container's tmpfs mounts and /dev/shm may
// hold beyond Docker's default /dev/shm: counted in the memory quota.
func TmpfsBytes(h *container.HostConfig) int64 {
	var n int64
	if h.ShmSize > shmDefault {
		n += h.ShmSize - shmDefault
	}
	for target, opts := range h.Tmpfs {
		if s, _, err := tmpfsSize(target, opts, 0); err == nil {
			n += s
		}
	}
	for _, m := range h.Mounts {
		if m.Type == mount.TypeTmpfs && m.TmpfsOptions != nil {
			n += m.TmpfsOptions.SizeBytes
		}
	}
	return n
}

// checkBounded refuses a HostConfig whose resources are not what Bound
// makes of them: a path that forgot Bound must not reach Docker.
func (e *Engine) checkBounded(h *container.HostConfig) error {
	c := *h
	if err := e.Bound(&c); err != nil {
		return err
	}
	same := reflect.DeepEqual(c.Resources, h.Resources) && reflect.DeepEqual(c.Tmpfs, h.Tmpfs) &&
		reflect.DeepEqual(c.Mounts, h.Mounts) && c.ShmSize == h.ShmSize && c.CgroupnsMode == h.CgroupnsMode
	if !same {
		return rule(apierr.CodeInternal, RuleHostConfig, "the container's resources were not set by the policy")
	}
	return nil
}
