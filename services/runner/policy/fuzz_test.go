package policy_test

import (
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"

	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/policy"
)

// FuzzContainerAdmission feeds arbitrary raw HostConfig JSON and names to
// the engine as a non-admin. Whatever it admits must hold the invariants
// that keep the host and other tenants safe.
func FuzzContainerAdmission(f *testing.F) {
	for _, c := range policy.EscapeCases() {
		f.Add(c.HostConfig, "web", "data", "/data")
	}
	f.Add(`{"Mounts":[{"Type":"tmpfs","Target":"/t"}]}`, "web", "v1", "/v")
	f.Add(`{}`, "a", "b", "/c")
	e := engine()
	ten := policy.Tenant{UserID: alice.UserID, Username: alice.Username}
	f.Fuzz(func(t *testing.T, raw, name, vol, target string) {
		spec := msg.ContainerSpec{Name: name, Image: "busybox", HostConfig: []byte(raw),
			Volumes: []msg.VolumeMount{{Volume: vol, Target: target}}}
		p, err := e.Container(alice, ten, spec, nil)
		if err != nil {
			return
		}
		checkSafe(t, p.Host, e.Limits)
		if !strings.HasPrefix(p.Name, "alice--") {
			t.Fatalf("docker name %q outside the tenant", p.Name)
		}
	})
}

func checkSafe(t *testing.T, h *container.HostConfig, l policy.Limits) {
	t.Helper()
	switch {
	case h.Privileged, len(h.CapAdd) > 0 && hasDangerousCap(h.CapAdd), len(h.Devices) > 0, len(h.DeviceRequests) > 0,
		len(h.Binds) > 0, len(h.VolumesFrom) > 0, len(h.Sysctls) > 0, h.PublishAllPorts, len(h.Links) > 0,
		h.MaskedPaths != nil, h.ReadonlyPaths != nil, h.CgroupParent != "":
		t.Fatalf("admitted a host escape: %+v", h)
	}
	if m := string(h.NetworkMode); m != "none" && !strings.HasPrefix(m, "alice--") {
		t.Fatalf("admitted network mode %q", m)
	}
	for _, ns := range []string{string(h.PidMode), string(h.UTSMode), string(h.UsernsMode), string(h.CgroupnsMode)} {
		if ns != "" && ns != "private" {
			t.Fatalf("admitted namespace mode %q", ns)
		}
	}
	for _, m := range h.Mounts {
		if m.Type == mount.TypeBind || (m.Type == mount.TypeVolume && m.Source != "" && !strings.HasPrefix(m.Source, "alice--")) {
			t.Fatalf("admitted mount %+v", m)
		}
	}
	for _, o := range h.SecurityOpt {
		if !strings.HasPrefix(o, "no-new-privileges") || strings.HasSuffix(o, "false") {
			t.Fatalf("admitted security option %q", o)
		}
	}
	if h.Memory <= 0 || h.Memory > l.MaxMemoryMB<<20 || h.PidsLimit == nil || *h.PidsLimit > l.PidsLimit || h.LogConfig.Type != "json-file" {
		t.Fatalf("limits missing: mem %d pids %v log %v", h.Memory, h.PidsLimit, h.LogConfig)
	}
	checkResources(t, h, l)
}

// checkResources holds the resource allow-list's promises: only the
// fields the policy sets are set, to what it allows.
func checkResources(t *testing.T, h *container.HostConfig, l policy.Limits) {
	t.Helper()
	r := h.Resources
	switch {
	case r.CPUShares != 0, r.CPUQuota != 0, r.CPUPeriod != 0, r.CPURealtimePeriod != 0, r.CPURealtimeRuntime != 0,
		r.CpusetCpus != "", r.CpusetMems != "", r.CPUCount != 0, r.CPUPercent != 0:
		t.Fatalf("admitted CPU controls: %+v", r)
	case r.MemorySwap != r.Memory, r.MemorySwappiness != nil, r.MemoryReservation > r.Memory:
		t.Fatalf("admitted swap or reservation: %+v", r)
	case r.BlkioWeight != 0, len(r.BlkioWeightDevice)+len(r.BlkioDeviceReadBps)+len(r.BlkioDeviceWriteBps)+len(r.BlkioDeviceReadIOps)+len(r.BlkioDeviceWriteIOps) > 0,
		r.IOMaximumBandwidth != 0, r.IOMaximumIOps != 0:
		t.Fatalf("admitted block I/O settings: %+v", r)
	case r.OomKillDisable != nil, *r.PidsLimit != l.PidsLimit, h.CgroupnsMode != container.CgroupnsModePrivate:
		t.Fatalf("admitted OOM, pids or cgroupns: %+v %q", r, h.CgroupnsMode)
	case h.ShmSize <= 0 || h.ShmSize+policy.TmpfsBytes(h) > l.TmpfsMaxMB<<20+64<<20:
		t.Fatalf("admitted shm %d tmpfs %d", h.ShmSize, policy.TmpfsBytes(h))
	}
	for _, u := range r.Ulimits {
		if u.Name != "nofile" && u.Name != "core" && u.Name != "stack" || u.Hard > l.MaxNofile || u.Soft < 0 || u.Soft > u.Hard {
			t.Fatalf("admitted ulimit %+v", u)
		}
	}
	for target, opts := range h.Tmpfs {
		if !strings.HasPrefix(opts, "size=") || strings.Contains(opts, "%") {
			t.Fatalf("admitted unsized tmpfs %s: %q", target, opts)
		}
	}
	for _, m := range h.Mounts {
		if m.Type == mount.TypeTmpfs && (m.TmpfsOptions == nil || m.TmpfsOptions.SizeBytes <= 0) {
			t.Fatalf("admitted unsized tmpfs mount %+v", m)
		}
		if m.Type == mount.TypeVolume && m.Source == "" {
			t.Fatalf("admitted an anonymous volume at %s", m.Target)
		}
	}
}

func hasDangerousCap(caps []string) bool {
	for _, c := range caps {
		switch strings.TrimPrefix(strings.ToUpper(c), "CAP_") {
		case "SYS_ADMIN", "ALL", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "SYS_RAWIO", "DAC_READ_SEARCH", "SYS_TIME", "MKNOD", "BPF", "PERFMON":
			return true
		}
	}
	return false
}
