package app

import (
	"context"
	"testing"
	"time"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Events become routes: one label for one port; a label per port plus the
// name for several; a stop removes them all.
func TestFeederLabelsPerPort(t *testing.T) {
	e := newEnv(t)
	one := startEvent("c-one", "web", "alice", "172.30.0.2", 80)
	one.PrivateLink = true
	e.publish(one)
	multi := startEvent("c-multi", "api", "alice", "172.30.0.3", 9090, 8080, 8080)
	multi.Ports = append(multi.Ports, msgUDP(53)...)
	e.publish(multi)
	e.settle()

	r, ok := e.kvRoute("web--alice")
	if !ok || r.Target != "172.30.0.2:80" || r.Owner != "uid-alice" || !r.Private || !r.Primary || r.ContainerID != "c-one" {
		t.Fatalf("web--alice = %+v, %v", r, ok)
	}
	if _, ok := e.kvRoute("web-80--alice"); ok {
		t.Fatal("a one-port container got a per-port label")
	}
	for label, target := range map[string]string{"api--alice": "172.30.0.3:8080", "api-8080--alice": "172.30.0.3:8080", "api-9090--alice": "172.30.0.3:9090"} {
		if r, ok := e.kvRoute(label); !ok || r.Target != target {
			t.Fatalf("%s = %+v, %v; want %s", label, r, ok, target)
		}
	}
	if _, ok := e.kvRoute("api-53--alice"); ok {
		t.Fatal("a UDP port got a web link")
	}
	eventually(t, 5*time.Second, "table follows the bucket", func() bool { return e.svc.Routes.Load().Len() == 4 })

	e.publish(downEvent("die", multi))
	e.publish(downEvent("stop", multi))
	e.settle()
	for _, label := range []string{"api--alice", "api-8080--alice", "api-9090--alice"} {
		if _, ok := e.kvRoute(label); ok {
			t.Fatalf("%s survived the stop", label)
		}
	}
	eventually(t, 5*time.Second, "table follows the bucket", func() bool { return e.svc.Routes.Load().Len() == 1 })
}

// Out-of-order and replayed events: a start older than the stop already
// applied does nothing; replays change nothing; a newer start wins.
func TestFeederOrderingAndReplays(t *testing.T) {
	e := newEnv(t)
	t0 := time.Now()
	start := startEvent("c-1", "web", "alice", "172.30.0.2", 80)
	start.Time, start.EventID = t0, "ev-start-1"
	stop := downEvent("stop", start)
	stop.Time, stop.EventID = t0.Add(time.Second), "ev-stop-1"

	e.publish(stop) // the stop is published first
	e.publish(start)
	e.settle()
	if r, ok := e.kvRoute("web--alice"); ok {
		t.Fatalf("an older start resurrected a stopped container: %+v", r)
	}

	// A replay of the same start under a new id (a republishing runner).
	start.EventID = "ev-start-1-again"
	e.publish(start)
	e.settle()
	if _, ok := e.kvRoute("web--alice"); ok {
		t.Fatal("a replayed start resurrected a stopped container")
	}

	restart := startEvent("c-1", "web", "alice", "172.30.0.9", 80)
	restart.Time, restart.EventID = t0.Add(2*time.Second), "ev-start-2"
	e.publish(restart)
	e.publish(restart) // same id: de-duplicated by the stream
	e.settle()
	if r, ok := e.kvRoute("web--alice"); !ok || r.Target != "172.30.0.9:80" {
		t.Fatalf("newer start: %+v, %v", r, ok)
	}

	// A network change moves the route; leaving the network removes it.
	net := startEvent("c-1", "web", "alice", "172.30.0.10", 80)
	net.Action, net.Time = "connect", t0.Add(3*time.Second)
	e.publish(net)
	e.settle()
	if r, _ := e.kvRoute("web--alice"); r.Target != "172.30.0.10:80" {
		t.Fatalf("network change not applied: %+v", r)
	}
	gone := startEvent("c-1", "web", "alice", "", 80)
	gone.Action, gone.Time = "disconnect", t0.Add(4*time.Second)
	e.publish(gone)
	e.settle()
	if _, ok := e.kvRoute("web--alice"); ok {
		t.Fatal("a container without an address on its network kept its route")
	}
}

// A late stop of an old container never removes the route of the container
// that now holds the name; a container literally named "web-8080" keeps its
// label against the per-port alias of "web".
func TestFeederOwnership(t *testing.T) {
	e := newEnv(t)
	old := startEvent("c-old", "web", "alice", "172.30.0.2", 80)
	e.publish(old)
	e.settle()
	e.publish(downEvent("destroy", old))
	e.settle()
	fresh := startEvent("c-new", "web", "alice", "172.30.0.3", 80)
	e.publish(fresh)
	e.settle()
	lateStop := downEvent("stop", old)
	lateStop.Time = time.Now()
	e.publish(lateStop)
	e.settle()
	if r, ok := e.kvRoute("web--alice"); !ok || r.ContainerID != "c-new" {
		t.Fatalf("late stop of the old container removed the new one's route: %+v, %v", r, ok)
	}

	named := startEvent("c-named", "web-8080", "alice", "172.30.0.4", 3000)
	e.publish(named)
	multi := startEvent("c-multi", "web", "alice", "172.30.0.5", 80, 8080)
	e.publish(multi)
	e.settle()
	if r, _ := e.kvRoute("web-8080--alice"); r.ContainerID != "c-named" {
		t.Fatalf("web-8080--alice = %+v; the container named web-8080 must keep it", r)
	}
	if r, _ := e.kvRoute("web-80--alice"); r.ContainerID != "c-multi" {
		t.Fatalf("web-80--alice = %+v", r)
	}
	e.publish(downEvent("stop", multi))
	e.settle()
	if r, ok := e.kvRoute("web-8080--alice"); !ok || r.ContainerID != "c-named" {
		t.Fatalf("stopping web removed web-8080's own label: %+v, %v", r, ok)
	}
}

// A malformed event is dropped (terminated), and does not block the next.
func TestFeederSurvivesMalformedEvents(t *testing.T) {
	e := newEnv(t)
	e.publishRaw("evt.container.start", "garbage-1", []byte("{not json"))
	e.publishRaw("evt.container.start", "garbage-2", []byte(`{"action":"start"}`))
	e.publishRaw("evt.container.start", "garbage-3", []byte(`{"action":"start","id":"a.b*c","name":"x","username":"alice","owner":"o","ip":"10.0.0.1","state":"running","ports":[{"container":80}]}`))
	weird := startEvent("c-weird", "../x", "alice", "172.30.0.3", 80) // not a label: no route, no retry loop
	e.publish(weird)
	e.publish(startEvent("c-ok", "ok", "alice", "172.30.0.2", 80))
	e.settle()
	if _, ok := e.kvRoute("ok--alice"); !ok {
		t.Fatal("a good event behind malformed ones was not applied")
	}
}

// After a gap the runner re-publishes every container ("sync") and then a
// snapshot of the ids that exist: routes of containers missing from it (their
// destroy event was lost) go, and a late event of theirs cannot restore them.
func TestFeederSnapshotDropsGhosts(t *testing.T) {
	e := newEnv(t)
	t0 := time.Now().Add(-time.Minute)
	alive := startEvent("c-alive", "alive", "alice", "172.30.0.2", 80)
	alive.Time = t0
	ghost := startEvent("c-ghost", "ghost", "alice", "172.30.0.3", 80, 8080)
	ghost.Time = t0
	e.publish(alive)
	e.publish(ghost)
	e.settle()
	if _, ok := e.kvRoute("ghost-8080--alice"); !ok {
		t.Fatal("setup: ghost not routed")
	}

	sync := alive
	sync.Action, sync.Time, sync.EventID = "sync", time.Now(), ""
	e.publish(sync)
	snap := msg.ContainerSnapshot{EventID: "snapshot-1", IDs: []string{"c-alive", "c-other"}, Time: time.Now()}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := bus.PublishEvent(ctx, e.js, subjects.ContainerEvent("snapshot"), snap.EventID, snap); err != nil {
		t.Fatal(err)
	}
	e.settle()
	for _, label := range []string{"ghost--alice", "ghost-80--alice", "ghost-8080--alice"} {
		if _, ok := e.kvRoute(label); ok {
			t.Fatalf("%s survived the snapshot", label)
		}
	}
	if _, ok := e.kvRoute("alive--alice"); !ok {
		t.Fatal("a container in the snapshot lost its route")
	}
	late := ghost
	late.Time, late.EventID = snap.Time.Add(-time.Second), "late-ghost-start"
	e.publish(late)
	e.settle()
	if _, ok := e.kvRoute("ghost--alice"); ok {
		t.Fatal("a late event brought a ghost back")
	}
}
