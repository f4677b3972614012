package policy_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"

	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/policy"
)

// TestBoundBuildsResourcesFromAllowedInputs: whatever the request held,
// the resources are the policy's: allowed inputs kept, defaults set,
// everything else zero.
func TestBoundBuildsResourcesFromAllowedInputs(t *testing.T) {
	e := engine()
	l := e.Limits
	cases := []struct {
		name  string
		raw   string
		check func(t *testing.T, h *container.HostConfig)
	}{
		{"defaults", `{}`, func(t *testing.T, h *container.HostConfig) {
			want := container.Resources{Memory: 256 << 20, MemorySwap: 256 << 20, NanoCPUs: 5e8, PidsLimit: ptr(l.PidsLimit)}
			if !reflect.DeepEqual(h.Resources, want) {
				t.Fatalf("resources %+v, want %+v", h.Resources, want)
			}
			if h.ShmSize != 64<<20 || h.CgroupnsMode != container.CgroupnsModePrivate || h.Tmpfs != nil {
				t.Fatalf("shm %d cgroupns %q tmpfs %v", h.ShmSize, h.CgroupnsMode, h.Tmpfs)
			}
		}},
		{"allowed inputs kept", `{"Memory":134217728,"NanoCpus":1000000000,"MemoryReservation":67108864,"MemorySwap":134217728,"PidsLimit":100,"OomKillDisable":false,"Ulimits":[{"Name":"NOFILE","Soft":1024,"Hard":4096},{"Name":"core","Soft":0,"Hard":0}]}`,
			func(t *testing.T, h *container.HostConfig) {
				r := h.Resources
				if r.Memory != 128<<20 || r.MemorySwap != 128<<20 || r.NanoCPUs != 1e9 || r.MemoryReservation != 64<<20 || r.OomKillDisable != nil {
					t.Fatalf("resources %+v", r)
				}
				// The pids limit is the platform's: a lower one is not kept either.
				if *r.PidsLimit != l.PidsLimit {
					t.Fatalf("pids %d, want %d", *r.PidsLimit, l.PidsLimit)
				}
				if len(r.Ulimits) != 2 || r.Ulimits[0].Name != "nofile" || r.Ulimits[0].Hard != 4096 || r.Ulimits[1].Name != "core" {
					t.Fatalf("ulimits %+v", r.Ulimits)
				}
			}},
		{"pids 0 means the setting", `{"PidsLimit":0}`, func(t *testing.T, h *container.HostConfig) {
			if *h.PidsLimit != l.PidsLimit {
				t.Fatalf("pids %d", *h.PidsLimit)
			}
		}},
		{"tmpfs sized and canonical", `{"Tmpfs":{"/a":"","/b":"size=8m,mode=1777,noexec","/c":"SIZE=1g"},"Mounts":[{"Type":"tmpfs","Target":"/d"},{"Type":"tmpfs","Target":"/e","TmpfsOptions":{"SizeBytes":1048576}}]}`,
			func(t *testing.T, h *container.HostConfig) {
				want := map[string]string{"/a": "size=67108864", "/b": "size=8388608,mode=1777,noexec", "/c": "size=1073741824"}
				if !reflect.DeepEqual(h.Tmpfs, want) {
					t.Fatalf("tmpfs %v, want %v", h.Tmpfs, want)
				}
				if h.Mounts[0].TmpfsOptions.SizeBytes != 64<<20 || h.Mounts[1].TmpfsOptions.SizeBytes != 1<<20 {
					t.Fatalf("tmpfs mounts %+v %+v", h.Mounts[0].TmpfsOptions, h.Mounts[1].TmpfsOptions)
				}
				// 64+8+1024+64+1 MB of tmpfs, and the default /dev/shm free.
				if got := policy.TmpfsBytes(h); got != (64+8+1024+64+1)<<20 {
					t.Fatalf("TmpfsBytes %d", got)
				}
			}},
		{"shm above the default counts", `{"ShmSize":268435456}`, func(t *testing.T, h *container.HostConfig) {
			if h.ShmSize != 256<<20 || policy.TmpfsBytes(h) != 192<<20 {
				t.Fatalf("shm %d counted %d", h.ShmSize, policy.TmpfsBytes(h))
			}
		}},
		{"init is allowed", `{"Init":true}`, func(t *testing.T, h *container.HostConfig) {
			if h.Init == nil || !*h.Init {
				t.Fatalf("init %v", h.Init)
			}
		}},
	}
	e.Limits.TmpfsMaxMB = 2048
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := &container.HostConfig{}
			if err := json.Unmarshal([]byte(c.raw), h); err != nil {
				t.Fatal(err)
			}
			if err := e.Bound(h); err != nil {
				t.Fatalf("refused: %v", err)
			}
			c.check(t, h)
			again := *h
			if err := e.Bound(&again); err != nil || !reflect.DeepEqual(again.Resources, h.Resources) || !reflect.DeepEqual(again.Tmpfs, h.Tmpfs) || !reflect.DeepEqual(again.Mounts, h.Mounts) {
				t.Fatalf("Bound is not idempotent: %v\n%+v\n%+v", err, again, *h)
			}
		})
	}
}

// TestAdmitRefusesUnboundedResources: a path that skipped Bound is caught
// by Admit, whoever asks.
func TestAdmitRefusesUnboundedResources(t *testing.T) {
	e := engine()
	ten := policy.Tenant{UserID: alice.UserID, Username: alice.Username}
	h := &container.HostConfig{NetworkMode: "alice--default", Resources: container.Resources{Memory: 64 << 20}}
	if err := e.Admit(alice, ten, &container.Config{}, h); err == nil {
		t.Fatal("admitted resources the policy did not set")
	}
	if err := e.Bound(h); err != nil {
		t.Fatal(err)
	}
	if err := e.Admit(alice, ten, &container.Config{}, h); err != nil {
		t.Fatalf("bounded config refused: %v", err)
	}
	h.CPUShares = 1 << 18
	if err := e.Admit(alice, ten, &container.Config{}, h); err == nil || !strings.Contains(err.Error(), "CpuShares") {
		t.Fatalf("cpu shares after Bound: %v", err)
	}
}

// TestAnonymousVolumesAreNamedForTheUser: anonymous volume mounts and an
// image's VOLUMEs become "<user>--anon-…" volumes of the plan.
func TestAnonymousVolumesAreNamedForTheUser(t *testing.T) {
	e := engine()
	ten := policy.Tenant{UserID: alice.UserID, Username: alice.Username}
	spec := msg.ContainerSpec{Name: "db", Image: "busybox", HostConfig: json.RawMessage(`{"Mounts":[{"Type":"volume","Target":"/anon"}]}`),
		Volumes: []msg.VolumeMount{{Volume: "data", Target: "/data"}}}
	p, err := e.Container(alice, ten, spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AddImageVolumes(ten, []string{"/data", "/var/lib/db/", "/anon"}); err != nil {
		t.Fatal(err)
	}
	var anon []string
	for _, m := range p.Host.Mounts {
		if m.Type != mount.TypeVolume || !strings.HasPrefix(m.Source, "alice--") {
			t.Fatalf("mount %+v is not one of alice's volumes", m)
		}
		if strings.HasPrefix(m.Source, "alice--"+policy.AnonPrefix) {
			anon = append(anon, m.Target)
		}
	}
	// /data and /anon were already mounted: only /var/lib/db is added.
	if len(p.Host.Mounts) != 3 || !reflect.DeepEqual(anon, []string{"/anon", "/var/lib/db"}) || len(p.Volumes) != 3 {
		t.Fatalf("mounts %+v, volumes %v", p.Host.Mounts, p.Volumes)
	}
}

func ptr[T any](v T) *T { return &v }
