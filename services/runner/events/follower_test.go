package events_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/events"
	"github.com/dockeronline/platform/services/runner/policy"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// TestFollowerPublishesChangesMadeOutsideThePlatform: a container made and
// removed straight through Docker (as a CLI user on the host would) shows
// up on JetStream as create/start/destroy with its owner, and its address
// on the owner's network; a restarted follower re-publishes state and a
// snapshot of what exists.
func TestFollowerPublishesChangesMadeOutsideThePlatform(t *testing.T) {
	cli := dockertest.Client(t)
	img := dockertest.BusyboxImage(t, cli)
	srv := natstest.Server(t)
	nc := natstest.Connect(t, srv)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	u := runnertest.NewUser(t, cli, identity.RoleUser)
	// The engine is shared: a resync re-publishes every platform container
	// on it, possibly thousands, so the test's queue must hold them all.
	got := make(chan *nats.Msg, 1<<16)
	sub, err := nc.Subscribe(subjects.EventsAll, func(m *nats.Msg) { got <- m })
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		t.Fatal(err)
	}
	startFollower := func() context.CancelFunc {
		ctx, cancel := context.WithCancel(context.Background())
		ready := make(chan struct{}, 1)
		f := events.NewFollower(cli, js, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
		f.Ready = func() { ready <- struct{}{} }
		go func() { _ = f.Run(ctx) }()
		select {
		case <-ready:
		case <-time.After(30 * time.Second):
			t.Fatal("follower not ready")
		}
		return cancel
	}
	stop := startFollower()

	netName, err := engine.NewNetworks(cli).EnsureDefault(context.Background(), policy.Tenant{UserID: u.UserID, Username: u.Username})
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{policy.LabelOwner: u.UserID, policy.LabelUsername: u.Username, policy.LabelName: "outside"}
	res, err := cli.ContainerCreate(context.Background(), client.ContainerCreateOptions{Name: u.Username + "--outside",
		Config:     &container.Config{Image: img, Cmd: []string{"sleep", "600"}, Labels: labels},
		HostConfig: &container.HostConfig{NetworkMode: container.NetworkMode(netName)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.ContainerStart(context.Background(), res.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	start := waitEvent(t, got, "evt.container.start", res.ID)
	if start.Owner != u.UserID || start.Name != "outside" || start.IP == "" || start.State != "running" {
		t.Fatalf("start event %+v", start)
	}

	// A restarted follower re-publishes the state and closes with a snapshot.
	stop()
	stop = startFollower()
	defer stop()
	if s := waitEvent(t, got, "evt.container.sync", res.ID); s.State != "running" {
		t.Fatalf("sync event %+v", s)
	}
	snap := waitSnapshot(t, got)
	if !slices.Contains(snap.IDs, res.ID) {
		t.Fatalf("snapshot lacks %s: %v", res.ID, snap.IDs)
	}

	if _, err := cli.ContainerRemove(context.Background(), res.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if d := waitEvent(t, got, "evt.container.destroy", res.ID); d.Owner != u.UserID || d.Name != "outside" {
		t.Fatalf("destroy event %+v", d)
	}

	// Volumes: Docker's volume events carry no labels; the follower still
	// names the owner, on create and on destroy.
	vname := u.Username + "--data"
	if _, err := cli.VolumeCreate(context.Background(), client.VolumeCreateOptions{Name: vname,
		Labels: map[string]string{policy.LabelOwner: u.UserID, policy.LabelUsername: u.Username, policy.LabelName: "data"}}); err != nil {
		t.Fatal(err)
	}
	if v := waitVolume(t, got, "evt.volume.create", vname); v.Owner != u.UserID || v.Name != "data" {
		t.Fatalf("volume create event %+v", v)
	}
	if _, err := cli.VolumeRemove(context.Background(), vname, client.VolumeRemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if v := waitVolume(t, got, "evt.volume.destroy", vname); v.Owner != u.UserID {
		t.Fatalf("volume destroy event %+v", v)
	}
}

func waitVolume(t *testing.T, ch chan *nats.Msg, subject, dockerName string) msg.VolumeEvent {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case m := <-ch:
			var ev msg.VolumeEvent
			if m.Subject == subject && json.Unmarshal(m.Data, &ev) == nil && ev.DockerName == dockerName {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s for %s", subject, dockerName)
		}
	}
}

func waitEvent(t *testing.T, ch chan *nats.Msg, subject, id string) msg.ContainerEvent {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case m := <-ch:
			var ev msg.ContainerEvent
			if m.Subject == subject && json.Unmarshal(m.Data, &ev) == nil && ev.ID == id {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s for %s", subject, id)
		}
	}
}

func waitSnapshot(t *testing.T, ch chan *nats.Msg) msg.ContainerSnapshot {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case m := <-ch:
			var s msg.ContainerSnapshot
			if m.Subject == "evt.container.snapshot" && json.Unmarshal(m.Data, &s) == nil {
				return s
			}
		case <-deadline:
			t.Fatal("no snapshot")
		}
	}
}
