package stack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/services/runner/policy"
)

// TestGuardJudgesWhatComposeSends: whatever reaches the guard — the
// Docker client the Compose SDK uses — is judged as it reaches Docker,
// whatever the compose file check let through.
func TestGuardJudgesWhatComposeSends(t *testing.T) {
	cli := dockertest.Client(t)
	img := dockertest.BusyboxImage(t, cli)
	alice, bob := testUser(t, cli, "a"), testUser(t, cli, "b")
	g := &guard{APIClient: cli, docker: cli, policy: policy.New(policy.DefaultLimits()), caller: alice,
		tenant: policy.Tenant{UserID: alice.UserID, Username: alice.Username}, project: alice.Username + "--shop", stack: "shop"}
	ctx := context.Background()
	net := alice.Username + "--shop-default"
	if _, err := g.NetworkCreate(ctx, net, client.NetworkCreateOptions{Driver: "bridge"}); err != nil {
		t.Fatalf("create the stack's network: %v", err)
	}
	good := func() client.ContainerCreateOptions {
		return client.ContainerCreateOptions{
			Name:       alice.Username + "--shop-web",
			Config:     &container.Config{Image: img, Cmd: []string{"sleep", "60"}, Labels: map[string]string{composeProjectLabel: g.project}},
			HostConfig: &container.HostConfig{NetworkMode: container.NetworkMode(net)},
		}
	}
	cases := []struct {
		name   string
		mutate func(*client.ContainerCreateOptions)
		rule   string
	}{
		{"privileged", func(o *client.ContainerCreateOptions) { o.HostConfig.Privileged = true }, policy.RulePrivileged},
		{"host bind", func(o *client.ContainerCreateOptions) { o.HostConfig.Binds = []string{"/etc:/e"} }, policy.RuleBindMounts},
		{"socket bind", func(o *client.ContainerCreateOptions) { o.HostConfig.Binds = []string{"/var/run/docker.sock:/s"} }, policy.RuleDockerSock},
		{"another user's volume as a bind", func(o *client.ContainerCreateOptions) { o.HostConfig.Binds = []string{bob.Username + "--data:/d"} }, policy.RuleVolumes},
		{"host network", func(o *client.ContainerCreateOptions) { o.HostConfig.NetworkMode = "host" }, policy.RuleHostNS},
		{"another user's network", func(o *client.ContainerCreateOptions) {
			o.NetworkingConfig = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{bob.Username + "--default": {}}}
		}, policy.RuleNetwork},
		{"a name outside the namespace", func(o *client.ContainerCreateOptions) { o.Name = bob.Username + "--shop-web" }, policy.RuleName},
		{"another project", func(o *client.ContainerCreateOptions) { o.Config.Labels[composeProjectLabel] = bob.Username + "--shop" }, policy.RuleNetwork},
		{"negative OOM score", func(o *client.ContainerCreateOptions) { o.HostConfig.OomScoreAdj = -1000 }, policy.RuleCgroup},
		{"cpu shares", func(o *client.ContainerCreateOptions) { o.HostConfig.CPUShares = 1 << 18 }, policy.RuleCPUOptions},
		{"cpu quota", func(o *client.ContainerCreateOptions) { o.HostConfig.CPUQuota = 1e6 }, policy.RuleCPUOptions},
		{"cpuset", func(o *client.ContainerCreateOptions) { o.HostConfig.CpusetCpus = "0-63" }, policy.RuleCPUOptions},
		{"unlimited swap", func(o *client.ContainerCreateOptions) { o.HostConfig.MemorySwap = -1 }, policy.RuleSwap},
		{"unlimited pids", func(o *client.ContainerCreateOptions) { p := int64(-1); o.HostConfig.PidsLimit = &p }, policy.RulePids},
		{"ulimit nproc", func(o *client.ContainerCreateOptions) {
			o.HostConfig.Ulimits = []*container.Ulimit{{Name: "nproc", Soft: -1, Hard: -1}}
		}, policy.RuleUlimits},
		{"tmpfs of 100 GB", func(o *client.ContainerCreateOptions) { o.HostConfig.Tmpfs = map[string]string{"/t": "size=100g"} }, policy.RuleTmpfs},
		{"working dir under /proc", func(o *client.ContainerCreateOptions) { o.Config.WorkingDir = "/proc/self/fd/8" }, policy.RuleProcWorkdir},
		{"20 networks", func(o *client.ContainerCreateOptions) {
			o.NetworkingConfig = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{}}
			for i := range 20 {
				o.NetworkingConfig.EndpointsConfig[fmt.Sprintf("%s--n%d", alice.Username, i)] = nil
			}
		}, policy.RuleSize},
		{"health check every millisecond", func(o *client.ContainerCreateOptions) {
			o.Config.Healthcheck = &container.HealthConfig{Test: []string{"CMD", "true"}, Interval: time.Millisecond}
		}, policy.RuleHealthcheck},
		{"10,000 env entries", func(o *client.ContainerCreateOptions) {
			for i := range 10000 {
				o.Config.Env = append(o.Config.Env, fmt.Sprintf("V%d=x", i))
			}
		}, policy.RuleSize},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := good()
			c.mutate(&o)
			_, err := g.ContainerCreate(ctx, o)
			if ae := apierr.From(err); ae == nil || ae.Rule != c.rule {
				t.Fatalf("got %v, want rule %s", err, c.rule)
			}
		})
	}

	// Allowed: created with the owner's labels, the platform name and limits,
	// whatever platform labels Compose carried from the file or the image.
	o := good()
	o.Config.Labels[policy.LabelOwner] = bob.UserID
	o.HostConfig.Binds = []string{alice.Username + "--shop-data:/data:ro"}
	res, err := g.ContainerCreate(ctx, o)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { // Docker made the volume, without labels
		_, _ = cli.ContainerRemove(ctx, res.ID, client.ContainerRemoveOptions{Force: true})
		_, _ = cli.VolumeRemove(ctx, alice.Username+"--shop-data", client.VolumeRemoveOptions{Force: true})
	})
	in, err := cli.ContainerInspect(ctx, res.ID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l := in.Container.Config.Labels
	if l[policy.LabelOwner] != alice.UserID || l[policy.LabelName] != "shop-web" || l[policy.LabelStack] != "shop" || l[policy.LabelMemory] == "" {
		t.Errorf("labels %v", l)
	}
	if h := in.Container.HostConfig; len(h.Binds) != 0 || len(h.Mounts) != 1 || h.Mounts[0].Source != alice.Username+"--shop-data" || !h.Mounts[0].ReadOnly || h.Memory == 0 {
		t.Errorf("host config: binds %v mounts %+v memory %d", h.Binds, h.Mounts, h.Memory)
	}
	// A hook's exec may not start under /proc either (Leaky Vessels).
	if _, err := g.ExecCreate(ctx, res.ID, client.ExecCreateOptions{Cmd: []string{"id"}, WorkingDir: "/proc/self/fd/8"}); apierr.From(err) == nil || apierr.From(err).Rule != policy.RuleProcWorkdir {
		t.Errorf("exec under /proc: %v", err)
	}

	// A container of bob's carrying alice's project label is invisible to
	// her stack's Compose: it can neither see nor remove it.
	planted, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Name: bob.Username + "--planted",
		Config: &container.Config{Image: img, Cmd: []string{"sleep", "60"}, Labels: map[string]string{composeProjectLabel: g.project, policy.LabelOwner: bob.UserID}}})
	if err != nil {
		t.Fatal(err)
	}
	list, err := g.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", composeProjectLabel+"="+g.project)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].ID != res.ID {
		t.Errorf("the stack's Compose sees %d containers, want only its own", len(list.Items))
	}
	if _, err := g.ContainerRemove(ctx, planted.ID, client.ContainerRemoveOptions{Force: true}); apierr.From(err) == nil || apierr.From(err).Code != apierr.CodeNotFound {
		t.Errorf("removing bob's container through alice's stack: %v", err)
	}
	if _, err := g.NetworkRemove(ctx, bob.Username+"--default", client.NetworkRemoveOptions{}); err == nil {
		t.Errorf("removed a network that is not the stack's")
	}
}

// testUser is a fresh caller whose containers and networks go at the end
// (runnertest would import this package).
func testUser(t *testing.T, cli *client.Client, prefix string) identity.Caller {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	c := identity.Caller{UserID: "test-" + hex.EncodeToString(b), Username: "g" + prefix + hex.EncodeToString(b), Role: identity.RoleUser}
	t.Cleanup(func() {
		ctx := context.Background()
		f := make(client.Filters).Add("label", policy.LabelOwner+"="+c.UserID)
		if cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f}); err == nil {
			for _, x := range cs.Items {
				_, _ = cli.ContainerRemove(ctx, x.ID, client.ContainerRemoveOptions{Force: true})
			}
		}
		if ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f}); err == nil {
			for _, n := range ns.Items {
				_, _ = cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{})
			}
		}
	})
	return c
}
