package policy

import (
	"sort"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
)

// composeLimits copies into h every resource-like key of service s the way
// Compose sends it (its getDeployResources and tmpfs/shm handling), so the
// resource allow-list (Bound) judges a compose file as it judges a raw
// HostConfig: what it does not allow is refused by name.
func composeLimits(s types.ServiceConfig, h *container.HostConfig) {
	r := &h.Resources
	r.CPUShares, r.CPUQuota, r.CPUPeriod = s.CPUShares, s.CPUQuota, s.CPUPeriod
	r.CPURealtimePeriod, r.CPURealtimeRuntime = s.CPURTPeriod, s.CPURTRuntime
	r.CpusetCpus, r.CPUCount, r.CPUPercent = s.CPUSet, s.CPUCount, int64(s.CPUPercent*100)
	r.MemorySwap, r.MemoryReservation = int64(s.MemSwapLimit), int64(s.MemReservation)
	if s.MemSwappiness != 0 {
		v := int64(s.MemSwappiness)
		r.MemorySwappiness = &v
	}
	if s.Deploy != nil && s.Deploy.Resources.Reservations != nil && s.Deploy.Resources.Reservations.MemoryBytes != 0 {
		r.MemoryReservation = int64(s.Deploy.Resources.Reservations.MemoryBytes)
	}
	if b := s.BlkioConfig; b != nil {
		r.BlkioWeight = b.Weight
		for _, d := range b.WeightDevice {
			r.BlkioWeightDevice = append(r.BlkioWeightDevice, &blkiodev.WeightDevice{Path: d.Path, Weight: d.Weight})
		}
		for _, l := range []struct {
			in  []types.ThrottleDevice
			out *[]*blkiodev.ThrottleDevice
		}{{b.DeviceReadBps, &r.BlkioDeviceReadBps}, {b.DeviceWriteBps, &r.BlkioDeviceWriteBps}, {b.DeviceReadIOps, &r.BlkioDeviceReadIOps}, {b.DeviceWriteIOps, &r.BlkioDeviceWriteIOps}} {
			for _, d := range l.in {
				*l.out = append(*l.out, &blkiodev.ThrottleDevice{Path: d.Path, Rate: uint64(d.Rate)})
			}
		}
	}
	for _, name := range sortedKeys(s.Ulimits) {
		u := s.Ulimits[name]
		if u == nil {
			continue
		}
		soft, hard := int64(u.Soft), int64(u.Hard)
		if u.Single != 0 {
			soft, hard = int64(u.Single), int64(u.Single)
		}
		r.Ulimits = append(r.Ulimits, &container.Ulimit{Name: name, Soft: soft, Hard: hard})
	}
	if len(s.Tmpfs) > 0 {
		h.Tmpfs = map[string]string{}
		for _, t := range s.Tmpfs {
			k, v, _ := strings.Cut(t, ":")
			h.Tmpfs[k] = v
		}
	}
	h.ShmSize = int64(s.ShmSize)
	h.Init = s.Init
	h.ExtraHosts = s.ExtraHosts.AsList(":")
	h.DNSSearch, h.DNSOptions, h.GroupAdd = s.DNSSearch, s.DNSOpts, s.GroupAdd
}

// composeHealthcheck is a service's health check as Compose sends it, for
// CheckHealthcheck (nil: the image's, or none).
func composeHealthcheck(s types.ServiceConfig) *container.HealthConfig {
	hc := s.HealthCheck
	if hc == nil || hc.Disable {
		return nil
	}
	d := func(p *types.Duration) time.Duration {
		if p == nil {
			return 0
		}
		return time.Duration(*p)
	}
	return &container.HealthConfig{Test: hc.Test, Interval: d(hc.Interval), StartInterval: d(hc.StartInterval), Timeout: d(hc.Timeout)}
}

// ComposeTmpfs is the memory service s's tmpfs mounts and /dev/shm hold
// beyond Docker's default /dev/shm, sized as Bound sizes them: a stack's
// quota counts it before Compose runs, as TmpfsBytes does for a container.
func (e *Engine) ComposeTmpfs(s types.ServiceConfig) int64 {
	h := &container.HostConfig{}
	composeLimits(s, h)
	for _, v := range s.Volumes {
		if v.Type != types.VolumeTypeTmpfs {
			continue
		}
		m := mount.Mount{Type: mount.TypeTmpfs, Target: v.Target}
		if v.Tmpfs != nil {
			m.TmpfsOptions = &mount.TmpfsOptions{SizeBytes: int64(v.Tmpfs.Size)}
		}
		h.Mounts = append(h.Mounts, m)
	}
	if err := e.boundTmpfs(h); err != nil {
		return 0 // refused by the policy before anything is made
	}
	return TmpfsBytes(h)
}

// composeEnv is a service's environment as Compose sends it: KEY=value,
// or KEY alone for a variable without a value.
func composeEnv(m types.MappingWithEquals) []string {
	env := make([]string, 0, len(m))
	for k, v := range m {
		if v == nil {
			env = append(env, k)
		} else {
			env = append(env, k+"="+*v)
		}
	}
	sort.Strings(env)
	return env
}
