package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dockeronline/platform/e2e/stack"
)

// TestMeShowsQuotaAndUsage: /me carries the caller's quota and what they
// use of it, counted from Docker.
func TestMeShowsQuotaAndUsage(t *testing.T) {
	s := stack.Start(t)
	u := s.Register(t, stack.UniqueName("erin"))
	if r := s.Call(t, u.Token, http.MethodPost, "/api/v1/containers", map[string]any{"name": "a", "image": s.Image, "cmd": []string{"sleep", "600"}, "memory_mb": 64}); r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var me struct {
		Usage struct {
			Quota struct{ Containers, Volumes int } `json:"quota"`
			Used  struct {
				Containers int   `json:"containers"`
				MemoryMB   int64 `json:"memory_mb"`
			} `json:"used"`
		} `json:"usage"`
	}
	s.Call(t, u.Token, http.MethodGet, "/api/v1/me", nil).JSON(t, &me)
	if me.Usage.Quota.Containers != 20 || me.Usage.Used.Containers != 1 || me.Usage.Used.MemoryMB != 64 {
		t.Fatalf("me.usage = %+v", me.Usage)
	}
}

// TestVolumesAndNetworksOverHTTP: the volume and network routes work and
// stay within the caller's sandbox.
func TestVolumesAndNetworksOverHTTP(t *testing.T) {
	s := stack.Start(t)
	a := s.Register(t, stack.UniqueName("fay"))
	b := s.Register(t, stack.UniqueName("gus"))
	steps := []struct {
		token, method, path string
		body                any
		status              int
	}{
		{a.Token, "POST", "/api/v1/volumes", map[string]any{"name": "data"}, 201},
		{a.Token, "POST", "/api/v1/volumes", map[string]any{"name": "data"}, 409},
		{a.Token, "POST", "/api/v1/volumes", map[string]any{"name": "../etc"}, 400},
		{a.Token, "POST", "/api/v1/networks", map[string]any{"name": "backend", "internal": true}, 201},
		{b.Token, "DELETE", "/api/v1/volumes/data", nil, 404},
		{b.Token, "DELETE", "/api/v1/networks/backend", nil, 404},
		{a.Token, "POST", "/api/v1/containers", map[string]any{"name": "db", "image": s.Image, "cmd": []string{"sleep", "600"}, "network": "backend", "volumes": []map[string]any{{"volume": "data", "target": "/data"}}}, 201},
		{a.Token, "DELETE", "/api/v1/volumes/data", nil, 409},
		{a.Token, "DELETE", "/api/v1/networks/backend", nil, 409},
		{a.Token, "DELETE", "/api/v1/containers/db?force=true", nil, 204},
		{a.Token, "DELETE", "/api/v1/volumes/data", nil, 204},
		{a.Token, "DELETE", "/api/v1/networks/backend", nil, 204},
	}
	for _, st := range steps {
		r := s.Call(t, st.token, st.method, st.path, st.body)
		if r.Status != st.status {
			t.Fatalf("%s %s: %d %s, want %d", st.method, st.path, r.Status, r.Body, st.status)
		}
	}
	var vl struct {
		Volumes []any `json:"volumes"`
	}
	s.Call(t, b.Token, http.MethodGet, "/api/v1/volumes?all=true", nil).JSON(t, &vl)
	if len(vl.Volumes) != 0 {
		t.Fatalf("b sees volumes %+v", vl.Volumes)
	}
}

// TestEventsAreLiveAndPrivate: a user's event stream shows their own
// container's changes as they happen, and never another user's.
func TestEventsAreLiveAndPrivate(t *testing.T) {
	s := stack.Start(t)
	a := s.Register(t, stack.UniqueName("hal"))
	b := s.Register(t, stack.UniqueName("ivy"))
	ea := s.SSE(t, a.Token, "/api/v1/events")
	eb := s.SSE(t, b.Token, "/api/v1/events")

	if r := s.Call(t, a.Token, http.MethodPost, "/api/v1/containers", map[string]any{"name": "live", "image": s.Image, "cmd": []string{"sleep", "600"}}); r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	isStart := func(owner string) func(stack.Event) bool {
		return func(ev stack.Event) bool {
			var c struct{ Owner, Action, Name string }
			_ = json.Unmarshal([]byte(ev.Data), &c)
			return ev.Name == "container" && c.Owner == owner && c.Action == "start"
		}
	}
	if _, ok := ea.Next(30*time.Second, isStart(a.UserID)); !ok {
		t.Fatal("a never saw its container start")
	}
	// B makes its own change; by the time B sees it, anything of A's that
	// was going to leak would have arrived first.
	if r := s.Call(t, b.Token, http.MethodPost, "/api/v1/containers", map[string]any{"name": "mine", "image": s.Image, "cmd": []string{"sleep", "600"}}); r.Status != http.StatusCreated {
		t.Fatalf("b create: %d %s", r.Status, r.Body)
	}
	if _, ok := eb.Next(30*time.Second, isStart(b.UserID)); !ok {
		t.Fatal("b never saw its own container start")
	}
	for _, ev := range append(eb.Drain(), ea.Drain()...) {
		if strings.Contains(ev.Data, a.UserID) && strings.Contains(ev.Data, b.UserID) {
			t.Fatalf("an event mixes tenants: %s", ev.Data)
		}
	}
	// Replay B's whole stream: no event of A's.
	if r := s.Call(t, a.Token, http.MethodPost, "/api/v1/containers/live/stop", nil); r.Status != http.StatusOK {
		t.Fatalf("stop: %d", r.Status)
	}
	if _, ok := eb.Next(3*time.Second, func(ev stack.Event) bool { return strings.Contains(ev.Data, a.UserID) }); ok {
		t.Fatal("b received an event of a's container")
	}
}
