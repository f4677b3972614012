// Package runnertest starts the real runner in-process for tests, against
// a real Docker engine and the given NATS server, and cleans up every Docker
// object made for the test's users.
package runnertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"maps"
	"os"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/pkg/testenv"

	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/services/runner/app"
	"github.com/dockeronline/platform/services/runner/policy"
)

// Start runs the runner connected to natsURL, with its own fresh Postgres,
// until the test ends. extra overrides settings (e.g. quotas).
func Start(t testing.TB, natsURL string, extra ...map[string]string) {
	t.Helper()
	env := map[string]string{"NATS_URL": natsURL, "HTTP_ADDR": "127.0.0.1:0"}
	for _, m := range extra {
		maps.Copy(env, m)
	}
	if env["DATABASE_URL"] == "" {
		env["DATABASE_URL"] = testenv.Postgres(t)
	}
	cfg, err := app.LoadConfig(config.FromMap(env))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	go func() { done <- app.Run(ctx, cfg, log) }()
	natstest.WaitServing(t, natsURL, subjects.RunnerRequestSubject(subjects.ContainerList), msg.ContainerListRequest{})
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("runner stopped with error: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("runner did not stop within 30s")
		}
	})
}

// NewUser returns a fresh caller whose Docker objects are removed when the
// test ends.
func NewUser(t testing.TB, cli *client.Client, role identity.Role) identity.Caller {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	suffix := hex.EncodeToString(b)
	c := identity.Caller{UserID: "test-" + suffix, Username: "u" + suffix, Role: role}
	t.Cleanup(func() { RemoveOwned(t, cli, c.UserID) })
	return c
}

// RemoveOwned removes every container, volume and network owned by owner.
func RemoveOwned(t testing.TB, cli *client.Client, owner string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := make(client.Filters).Add("label", policy.LabelOwner+"="+owner)
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err == nil {
		for _, c := range cs.Items {
			_, _ = cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		}
	}
	if vs, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: f}); err == nil {
		for _, v := range vs.Items {
			_, _ = cli.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{Force: true})
		}
	}
	if ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f}); err == nil {
		for _, n := range ns.Items {
			_, _ = cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{})
		}
	}
}
