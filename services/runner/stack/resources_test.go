package stack_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/runner/policy"
	"github.com/dockeronline/platform/services/runner/quota"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// TestComposeGetsThePolicysResources: what Compose sends reaches Docker
// as the policy's allow-list built it — swap equal to memory, the
// platform's pids limit (an unlimited pids_limit is replaced), no CPU
// controls, sized tmpfs, bounded /dev/shm, a private cgroup namespace —
// and the anonymous volume and the image's VOLUME become named volumes of
// the user, labelled with the stack and counted in the quota.
func TestComposeGetsThePolicysResources(t *testing.T) {
	h := setup(t, map[string]string{"RUNNER_PIDS_LIMIT": "150", "RUNNER_TMPFS_DEFAULT_MB": "16"})
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	img := "dockeronline-test/stackvol-" + alice.Username + ":latest"
	dockertest.BuildImage(t, h.cli, img, map[string][]byte{"Dockerfile": []byte("FROM " + h.image + "\nVOLUME /cache\n")})
	t.Cleanup(func() { _, _ = h.cli.ImageRemove(context.Background(), img, client.ImageRemoveOptions{Force: true}) })
	compose := fmt.Sprintf(`services:
  web:
    image: %s
    command: ["sleep", "600"]
    stop_grace_period: 1s
    mem_limit: 64m
    pids_limit: -1
    tmpfs: ["/scratch"]
    shm_size: 128m
    ulimits:
      nofile:
        soft: 1024
        hard: 2048
    volumes: ["/data"]
`, img)
	started, err := call[msg.JobStarted](t, h, alice, subjects.StackUp, msg.StackUpRequest{Name: "res", Compose: compose})
	if err != nil {
		t.Fatal(err)
	}
	evs := finish(t, h, started.Job.ID)
	if last := evs[len(evs)-1]; last.Type != msg.JobEventDone {
		t.Fatalf("up: %+v", last.Error)
	}
	ctx := context.Background()
	in, err := h.cli.ContainerInspect(ctx, alice.Username+"--res-web", client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hc := in.Container.HostConfig
	r := hc.Resources
	checks := []struct {
		what string
		ok   bool
	}{
		{"Memory 64 MB", r.Memory == 64<<20},
		{"MemorySwap == Memory", r.MemorySwap == r.Memory},
		{"PidsLimit the setting", r.PidsLimit != nil && *r.PidsLimit == 150},
		{"no CPU controls", r.CPUShares == 0 && r.CPUQuota == 0 && r.CPUPeriod == 0 && r.CpusetCpus == ""},
		{"no swappiness, OOM killer on", r.MemorySwappiness == nil && (r.OomKillDisable == nil || !*r.OomKillDisable)},
		{"ulimits as asked", len(r.Ulimits) == 1 && r.Ulimits[0].Name == "nofile" && r.Ulimits[0].Hard == 2048},
		{"tmpfs sized by the default", hc.Tmpfs["/scratch"] == "size=16777216"},
		{"/dev/shm as asked", hc.ShmSize == 128<<20},
		{"cgroup namespace private", hc.CgroupnsMode == container.CgroupnsModePrivate},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: %+v", c.what, hc)
		}
	}
	anon := 0
	for _, m := range in.Container.Mounts {
		if m.Destination != "/data" && m.Destination != "/cache" {
			continue
		}
		if !strings.HasPrefix(m.Name, alice.Username+"--"+policy.AnonPrefix) {
			t.Fatalf("%s is mounted from %q, not a named volume of the user", m.Destination, m.Name)
		}
		v, err := h.cli.VolumeInspect(ctx, m.Name, client.VolumeInspectOptions{})
		if err != nil || v.Volume.Labels[policy.LabelOwner] != alice.UserID || v.Volume.Labels[policy.LabelStack] != "res" {
			t.Fatalf("volume %s labels %v, %v", m.Name, v.Volume.Labels, err)
		}
		anon++
	}
	if anon != 2 {
		t.Fatalf("%d of /data and /cache mounted from named volumes: %+v", anon, in.Container.Mounts)
	}
	usage, err := call[msg.Usage](t, h, alice, subjects.UsageGet, msg.UsageRequest{})
	if err != nil || usage.Used.Volumes != 2 || usage.Used.MemoryMB != 64+16+64 {
		t.Fatalf("usage %+v (want 2 volumes, %d MB), %v", usage.Used, 64+16+64, err)
	}
	down, err := call[msg.StackDownResult](t, h, alice, subjects.StackDown, msg.StackRef{Name: "res", Volumes: true})
	if err != nil {
		t.Fatal(err)
	}
	// down -v takes the anonymous volumes too, as Compose would have.
	if _, _, vs := owned(t, h, alice.UserID, "res"); len(vs) != 0 || len(down.Volumes) != 2 {
		t.Fatalf("after down -v: volumes %v left, %v reported removed", vs, down.Volumes)
	}
}

// TestComposeTmpfsCountsInTheQuota: a stack whose tmpfs would take the
// user past the memory quota fails before Compose creates anything.
func TestComposeTmpfsCountsInTheQuota(t *testing.T) {
	h := setup(t, map[string]string{"RUNNER_QUOTA_MEMORY_MB": "300"})
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	compose := fmt.Sprintf("services:\n  web:\n    image: %s\n    command: [\"sleep\", \"600\"]\n    mem_limit: 256m\n    tmpfs: [\"/t:size=128m\"]\n", h.image)
	started, err := call[msg.JobStarted](t, h, alice, subjects.StackUp, msg.StackUpRequest{Name: "tq", Compose: compose})
	if err != nil {
		t.Fatal(err)
	}
	evs := finish(t, h, started.Job.ID)
	if last := evs[len(evs)-1]; last.Type != msg.JobEventError || last.Error.Rule != quota.RuleQuota || !strings.Contains(last.Error.Message, "memory") {
		t.Fatalf("256 MB + 128 MB tmpfs with a 300 MB quota: %s %+v", last.Type, last.Error)
	}
	if cs, ns, vs := owned(t, h, alice.UserID, "tq"); len(cs)+len(ns)+len(vs) != 0 {
		t.Errorf("the refused up left containers %v networks %v volumes %v", cs, ns, vs)
	}
}

// TestComposeImageWorkdirUnderProcIsRefused: Compose may not start a
// service in an image's WORKDIR under /proc; its own working_dir wins.
func TestComposeImageWorkdirUnderProcIsRefused(t *testing.T) {
	h := setup(t)
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	img := "dockeronline-test/stackwd-" + alice.Username + ":latest"
	dockertest.BuildImage(t, h.cli, img, map[string][]byte{"Dockerfile": []byte("FROM " + h.image + "\nWORKDIR /proc/self/fd/8\n")})
	t.Cleanup(func() { _, _ = h.cli.ImageRemove(context.Background(), img, client.ImageRemoveOptions{Force: true}) })
	up := func(extra string) msg.JobEvent {
		t.Helper()
		compose := fmt.Sprintf("services:\n  web:\n    image: %s\n    command: [\"sleep\", \"600\"]\n    stop_grace_period: 1s\n%s", img, extra)
		started, err := call[msg.JobStarted](t, h, alice, subjects.StackUp, msg.StackUpRequest{Name: "wd", Compose: compose})
		if err != nil {
			t.Fatal(err)
		}
		evs := finish(t, h, started.Job.ID)
		return evs[len(evs)-1]
	}
	if last := up(""); last.Type != msg.JobEventError || last.Error.Rule != policy.RuleProcWorkdir {
		t.Fatalf("image WORKDIR under /proc: %s %+v", last.Type, last.Error)
	}
	if cs, _, _ := owned(t, h, alice.UserID, "wd"); len(cs) != 0 {
		t.Fatalf("the refused up left containers %v", cs)
	}
	if last := up("    working_dir: /tmp\n"); last.Type != msg.JobEventDone {
		t.Fatalf("with its own working_dir: %s %+v", last.Type, last.Error)
	}
	if _, err := call[msg.StackDownResult](t, h, alice, subjects.StackDown, msg.StackRef{Name: "wd", Volumes: true}); err != nil {
		t.Fatal(err)
	}
}
