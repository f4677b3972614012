package app

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/dockeronline/platform/services/proxy/routes"
)

// The watcher keeps a key's last good route when a bad value is written, and
// applies deletes; a restarted proxy rebuilds the same table from the bucket.
func TestWatcherKeepsLastGoodRouteAndRebuildsOnRestart(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	kv, err := routes.EnsureRoutesBucket(ctx, e.js)
	if err != nil {
		t.Fatal(err)
	}
	put := func(key string, v any) {
		b, ok := v.([]byte)
		if !ok {
			b, _ = json.Marshal(v)
		}
		if _, err := kv.Put(ctx, key, b); err != nil {
			t.Fatal(err)
		}
	}
	lookup := func(label string) (routes.Route, bool) { return e.svc.Routes.Load().Lookup(label) }

	put("web--alice", testRoute("web--alice", "10.1.0.2:80"))
	put("api--alice", testRoute("api--alice", "10.1.0.3:80"))
	eventually(t, 10*time.Second, "routes in table", func() bool {
		_, a := lookup("web--alice")
		_, b := lookup("api--alice")
		return a && b
	})
	before := e.svc.Routes.Load()

	put("web--alice", []byte("{not json"))
	put("api--alice", testRoute("api--alice", "not-an-address"))
	put("other--alice", testRoute("web--alice", "10.1.0.9:80")) // filed under the wrong key
	put("db--alice", testRoute("db--alice", "10.1.0.4:5432"))   // a good change after the bad ones
	eventually(t, 10*time.Second, "good change applied", func() bool { _, ok := lookup("db--alice"); return ok })
	if r, ok := lookup("web--alice"); !ok || r.Target != "10.1.0.2:80" {
		t.Fatalf("web--alice after a bad value = %+v, %v; want the last good route", r, ok)
	}
	if r, ok := lookup("api--alice"); !ok || r.Target != "10.1.0.3:80" {
		t.Fatalf("api--alice after an invalid route = %+v, %v", r, ok)
	}
	if _, ok := lookup("other--alice"); ok {
		t.Fatal("a route filed under another key entered the table")
	}
	if before.Len() != 2 || e.svc.Routes.Load() == before {
		t.Fatal("tables are not immutable snapshots")
	}

	if err := kv.Delete(ctx, "db--alice"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "delete applied", func() bool { _, ok := lookup("db--alice"); return !ok })

	// A second replica (or a restart) loads every valid route from the
	// bucket; keys whose stored value is bad have no last good route there.
	put("keep--alice", testRoute("keep--alice", "10.1.0.5:80"))
	eventually(t, 10*time.Second, "keep--alice in table", func() bool { _, ok := lookup("keep--alice"); return ok })
	e2 := startProxy(t, e.nc, e.cfg)
	t2 := e2.svc.Routes.Load()
	if r, ok := t2.Lookup("keep--alice"); !ok || r.Target != "10.1.0.5:80" || t2.Len() != 1 {
		t.Fatalf("restarted proxy: keep--alice = %+v, %v; %d routes", r, ok, t2.Len())
	}
	if t2.Revision() == 0 {
		t.Fatal("restarted table has no revision")
	}
}

func TestReadiness(t *testing.T) {
	e := newEnv(t)
	if res, ok := runChecks(e.svc); !ok {
		t.Fatalf("not ready with NATS up and table loaded: %v", res)
	}
	// A service whose watcher never ran is not ready.
	svc, err := New(testConfig(), e.nc, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	if res, ok := runChecks(svc); ok || res["routes"] == "ok" {
		t.Fatalf("ready before the route table loaded: %v", res)
	}
}

func testRoute(label, target string) routes.Route {
	return routes.Route{Label: label, Target: target, Owner: "uid-alice", Username: "alice", Name: "web", ContainerID: "c1", Port: 80, Primary: true}
}
