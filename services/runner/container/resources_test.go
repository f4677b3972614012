package container_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/runner/policy"
	"github.com/dockeronline/platform/services/runner/quota"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// TestDockerGetsThePolicysResources: a create with allowed resource inputs
// reaches Docker as the policy built it — no CPU shares, quota or cpuset,
// swap equal to memory, the platform's pids limit, every tmpfs sized,
// /dev/shm bounded, a private cgroup namespace — the container sees those
// sizes, and the quota counts tmpfs and the extra /dev/shm as memory.
func TestDockerGetsThePolicysResources(t *testing.T) {
	h := setup(t, map[string]string{"RUNNER_PIDS_LIMIT": "200", "RUNNER_TMPFS_DEFAULT_MB": "16"})
	u := runnertest.NewUser(t, h.cli, identity.RoleUser)
	spec := msg.ContainerSpec{Name: "res", Image: h.image, MemoryMB: 128,
		Cmd: []string{"sh", "-c", `echo "sizes $(df -k /scratch /t2 /dev/shm | awk 'NR>1{printf "%s ", $2}')nofile $(ulimit -n)"; sleep 600`},
		HostConfig: json.RawMessage(`{"Ulimits":[{"Name":"nofile","Soft":1024,"Hard":2048}],"Tmpfs":{"/scratch":""},` +
			`"Mounts":[{"Type":"tmpfs","Target":"/t2","TmpfsOptions":{"SizeBytes":1048576}}],"ShmSize":134217728,"Init":true}`)}
	c, err := call[msg.Container](h, u, subjects.ContainerCreate, msg.ContainerCreate{Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	in, err := h.cli.ContainerInspect(context.Background(), c.ID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hc := in.Container.HostConfig
	r := hc.Resources
	checks := []struct {
		what string
		ok   bool
	}{
		{"Memory 128 MB", r.Memory == 128<<20},
		{"MemorySwap == Memory", r.MemorySwap == r.Memory},
		{"no CPU shares, quota, period, cpusets or real-time", r.CPUShares == 0 && r.CPUQuota == 0 && r.CPUPeriod == 0 && r.CpusetCpus == "" && r.CpusetMems == "" && r.CPURealtimeRuntime == 0},
		{"NanoCPUs the default", r.NanoCPUs == 5e8},
		{"PidsLimit the setting", r.PidsLimit != nil && *r.PidsLimit == 200},
		{"no swappiness, OOM killer on", r.MemorySwappiness == nil && (r.OomKillDisable == nil || !*r.OomKillDisable)},
		{"no block I/O settings", r.BlkioWeight == 0 && len(r.BlkioDeviceReadBps) == 0},
		{"ulimits as asked", len(r.Ulimits) == 1 && r.Ulimits[0].Name == "nofile" && r.Ulimits[0].Hard == 2048},
		{"tmpfs sized by the default", hc.Tmpfs["/scratch"] == "size=16777216"},
		{"/dev/shm as asked", hc.ShmSize == 128<<20},
		{"cgroup namespace private", hc.CgroupnsMode == container.CgroupnsModePrivate},
		{"init kept", hc.Init != nil && *hc.Init},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: %+v", c.what, hc)
		}
	}
	sized := false
	for _, m := range hc.Mounts {
		sized = sized || m.Type == mount.TypeTmpfs && m.Target == "/t2" && m.TmpfsOptions != nil && m.TmpfsOptions.SizeBytes == 1<<20
	}
	if !sized {
		t.Errorf("tmpfs mount not sized: %+v", hc.Mounts)
	}
	// The kernel agrees: 16 MB, 1 MB and 128 MB of tmpfs, nofile 1024.
	dockertest.WaitLogs(t, h.cli, c.ID, "sizes 16384 1024 131072 nofile 1024")

	usage, err := call[msg.Usage](h, u, subjects.UsageGet, msg.UsageRequest{})
	if err != nil || usage.Used.MemoryMB != 128+16+1+64 {
		t.Fatalf("usage %+v (want %d MB: memory, tmpfs and /dev/shm beyond 64 MB), %v", usage.Used, 128+16+1+64, err)
	}
}

// TestTmpfsCountsInTheMemoryQuota: a tmpfs that would take the user over
// the memory quota is refused by the quota, though the memory alone fits.
func TestTmpfsCountsInTheMemoryQuota(t *testing.T) {
	h := setup(t, map[string]string{"RUNNER_QUOTA_MEMORY_MB": "300"})
	u := runnertest.NewUser(t, h.cli, identity.RoleUser)
	spec := sleeper("big-tmpfs", h.image)
	spec.MemoryMB = 256
	spec.HostConfig = json.RawMessage(`{"Tmpfs":{"/t":"size=128m"}}`)
	_, err := call[msg.Container](h, u, subjects.ContainerCreate, msg.ContainerCreate{Spec: spec})
	if e := apierr.From(err); e == nil || e.Rule != quota.RuleQuota {
		t.Fatalf("256 MB + 128 MB tmpfs with a 300 MB quota: %v", err)
	}
	spec.HostConfig = json.RawMessage(`{"Tmpfs":{"/t":"size=32m"}}`)
	if _, err := call[msg.Container](h, u, subjects.ContainerCreate, msg.ContainerCreate{Spec: spec}); err != nil {
		t.Fatalf("256 MB + 32 MB tmpfs: %v", err)
	}
}

// TestAnonymousVolumesAreTheUsers: an anonymous volume mount and an
// image's VOLUMEs become named volumes of the user, with the owner's
// labels; they show in the user's list, count in the volume quota, and a
// create that would exceed it is refused.
func TestAnonymousVolumesAreTheUsers(t *testing.T) {
	h := setup(t, map[string]string{"RUNNER_QUOTA_VOLUMES": "3"})
	u := runnertest.NewUser(t, h.cli, identity.RoleUser)
	img := "dockeronline-test/volumes-" + u.Username + ":latest"
	dockertest.BuildImage(t, h.cli, img, map[string][]byte{"Dockerfile": []byte("FROM " + h.image + "\nVOLUME /data /cache\n")})
	t.Cleanup(func() {
		_, _ = h.cli.ImageRemove(context.Background(), img, client.ImageRemoveOptions{Force: true})
	})
	spec := sleeper("vols", img)
	spec.HostConfig = json.RawMessage(`{"Mounts":[{"Type":"volume","Target":"/anon"}]}`)
	c, err := call[msg.Container](h, u, subjects.ContainerCreate, msg.ContainerCreate{Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	in, err := h.cli.ContainerInspect(context.Background(), c.ID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]string{}
	for _, m := range in.Container.Mounts {
		targets[m.Destination] = m.Name
	}
	for _, dst := range []string{"/anon", "/data", "/cache"} {
		name := targets[dst]
		if !strings.HasPrefix(name, u.Username+"--"+policy.AnonPrefix) {
			t.Fatalf("%s is mounted from %q, not a named volume of the user: %v", dst, name, targets)
		}
		v, err := h.cli.VolumeInspect(context.Background(), name, client.VolumeInspectOptions{})
		if err != nil || v.Volume.Labels[policy.LabelOwner] != u.UserID {
			t.Fatalf("volume %s labels %v, %v", name, v.Volume.Labels, err)
		}
	}
	list, err := call[msg.VolumeList](h, u, subjects.VolumeList, msg.VolumeListRequest{})
	if err != nil || len(list.Volumes) != 3 {
		t.Fatalf("the user's volumes: %+v, %v", list, err)
	}
	usage, err := call[msg.Usage](h, u, subjects.UsageGet, msg.UsageRequest{})
	if err != nil || usage.Used.Volumes != 3 {
		t.Fatalf("usage %+v, %v", usage.Used, err)
	}
	// The quota is full: one more image VOLUME is refused.
	_, err = call[msg.Container](h, u, subjects.ContainerCreate, msg.ContainerCreate{Spec: sleeper("more", img)})
	if e := apierr.From(err); e == nil || e.Rule != quota.RuleQuota {
		t.Fatalf("a create past the volume quota: %v", err)
	}
}
