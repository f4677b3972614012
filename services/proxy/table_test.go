package proxy

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

func goodRoute(label, target string) Route {
	return Route{Label: label, Target: target, Owner: "uid-alice", Username: "alice", Name: "web", ContainerID: "c1", Port: 80, Primary: true}
}

func TestNewTableValidates(t *testing.T) {
	ok := goodRoute("web--alice", "172.18.0.2:80")
	tab, err := NewTable(map[string]Route{"web--alice": ok}, 7)
	if err != nil {
		t.Fatal(err)
	}
	if r, found := tab.Lookup("web--alice"); !found || r.Target != "172.18.0.2:80" || tab.Revision() != 7 || tab.Len() != 1 {
		t.Fatalf("lookup = %+v %v", r, found)
	}
	bad := map[string]Route{
		"wrong key":     goodRoute("web--alice", "172.18.0.2:80"),
		"noport--alice": {Label: "noport--alice", Target: "172.18.0.2", Owner: "o", Username: "alice"},
		"api--alice":    {Label: "api--alice", Target: "0.0.0.0:80", Owner: "o", Username: "alice"},
		"db--alice":     {Label: "db--alice", Target: "172.18.0.2:80", Username: "alice"},
		"x--alice":      {Label: "x--alice", Target: "172.18.0.2:80", Owner: "o", Username: "bob"},
		"bad label!":    {Label: "bad label!", Target: "172.18.0.2:80", Owner: "o", Username: "alice"},
		"host--alice":   {Label: "host--alice", Target: "example.com:80", Owner: "o", Username: "alice"},
		"zero--alice":   {Label: "zero--alice", Target: "172.18.0.2:0", Owner: "o", Username: "alice"},
		"v6ok--alice":   {Label: "v6ok--alice", Target: "[fd00::2]:80", Owner: "o", Username: "alice"},
	}
	for key, r := range bad {
		_, err := NewTable(map[string]Route{key: r, "web--alice": ok}, 1)
		if key == "v6ok--alice" {
			if err != nil {
				t.Errorf("IPv6 target refused: %v", err)
			}
			continue
		}
		if err == nil {
			t.Errorf("table with %q (%+v) accepted", key, r)
		}
	}
}

func TestRoutesHolder(t *testing.T) {
	var rs Routes
	if rs.Loaded() || rs.Load().Len() != 0 {
		t.Fatal("a fresh holder is empty and not loaded")
	}
	tab, _ := NewTable(map[string]Route{"web--alice": goodRoute("web--alice", "10.0.0.1:80")}, 1)
	rs.Swap(tab)
	if !rs.Loaded() || rs.Load() != tab {
		t.Fatal("swap did not install the table")
	}
}

// The watcher keeps a key's last good route when a bad value is written, and
// applies deletes; a restarted proxy rebuilds the same table from the bucket.
func TestWatcherKeepsLastGoodRouteAndRebuildsOnRestart(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	kv, err := EnsureRoutesBucket(ctx, e.js)
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
	lookup := func(label string) (Route, bool) { return e.svc.Routes.Load().Lookup(label) }

	put("web--alice", goodRoute("web--alice", "10.1.0.2:80"))
	put("api--alice", goodRoute("api--alice", "10.1.0.3:80"))
	eventually(t, 10*time.Second, "routes in table", func() bool {
		_, a := lookup("web--alice")
		_, b := lookup("api--alice")
		return a && b
	})
	before := e.svc.Routes.Load()

	put("web--alice", []byte("{not json"))
	put("api--alice", goodRoute("api--alice", "not-an-address"))
	put("other--alice", goodRoute("web--alice", "10.1.0.9:80")) // filed under the wrong key
	put("db--alice", goodRoute("db--alice", "10.1.0.4:5432"))   // a good change after the bad ones
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
	put("keep--alice", goodRoute("keep--alice", "10.1.0.5:80"))
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
