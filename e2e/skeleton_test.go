package e2e

import (
	"net/http"
	"testing"

	"github.com/dockeronline/platform/e2e/stack"
)

type container struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	DockerName string `json:"docker_name"`
	Owner      string `json:"owner"`
	State      string `json:"state"`
}

type containerList struct {
	Containers []container `json:"containers"`
}

// TestWalkingSkeleton: two users register through Kratos; A runs a container
// from a locally built image, sees it running, stops it, sees it stopped and
// removes it; B never sees A's container; no or a bad session gets 401.
func TestWalkingSkeleton(t *testing.T) {
	s := stack.Start(t)
	a := s.Register(t, stack.UniqueName("alice"))
	b := s.Register(t, stack.UniqueName("bob"))

	var me struct {
		UserID   string `json:"user_id"`
		Username string `json:"username"`
		Role     string `json:"role"`
	}
	s.Call(t, a.Token, http.MethodGet, "/api/v1/me", nil).JSON(t, &me)
	if me.Username != a.Username || me.UserID != a.UserID || me.Role != "user" {
		t.Fatalf("me = %+v", me)
	}

	res := s.Call(t, a.Token, http.MethodPost, "/api/v1/containers", map[string]any{
		"name": "web", "image": s.Image, "cmd": []string{"httpd", "-f", "-p", "80"}, "ports": []map[string]int{{"container": 80}},
	})
	if res.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	var created container
	res.JSON(t, &created)
	if created.State != "running" || created.DockerName != a.Username+"--web" {
		t.Fatalf("created %+v", created)
	}

	expectState(t, s, a.Token, "web", "running")

	if r := s.Call(t, a.Token, http.MethodPost, "/api/v1/containers/web/stop", nil); r.Status != http.StatusOK {
		t.Fatalf("stop: %d %s", r.Status, r.Body)
	}
	expectState(t, s, a.Token, "web", "exited")

	// B sees none of A's containers and gets 404 on A's name and id.
	var bl containerList
	s.Call(t, b.Token, http.MethodGet, "/api/v1/containers", nil).JSON(t, &bl)
	if len(bl.Containers) != 0 {
		t.Fatalf("bob sees %+v", bl.Containers)
	}
	for _, path := range []string{"/api/v1/containers/web", "/api/v1/containers/" + created.ID, "/api/v1/containers/" + created.DockerName} {
		if r := s.Call(t, b.Token, http.MethodGet, path, nil); r.Status != http.StatusNotFound {
			t.Errorf("bob GET %s: %d %s, want 404", path, r.Status, r.Body)
		}
	}
	for _, path := range []string{"/api/v1/containers/web/start", "/api/v1/containers/web/restart"} {
		if r := s.Call(t, b.Token, http.MethodPost, path, nil); r.Status != http.StatusNotFound {
			t.Errorf("bob POST %s: %d, want 404", path, r.Status)
		}
	}
	if r := s.Call(t, b.Token, http.MethodDelete, "/api/v1/containers/web", nil); r.Status != http.StatusNotFound {
		t.Errorf("bob DELETE: %d, want 404", r.Status)
	}

	if r := s.Call(t, a.Token, http.MethodDelete, "/api/v1/containers/web", nil); r.Status != http.StatusNoContent {
		t.Fatalf("remove: %d %s", r.Status, r.Body)
	}
	var al containerList
	s.Call(t, a.Token, http.MethodGet, "/api/v1/containers", nil).JSON(t, &al)
	if len(al.Containers) != 0 {
		t.Fatalf("after remove: %+v", al.Containers)
	}

	// No session, a bad token, a bad cookie: 401 everywhere.
	for _, tok := range []string{"", "not-a-session-token"} {
		for _, path := range []string{"/api/v1/me", "/api/v1/containers"} {
			if r := s.Call(t, tok, http.MethodGet, path, nil); r.Status != http.StatusUnauthorized {
				t.Errorf("token %q GET %s: %d, want 401", tok, path, r.Status)
			} else if e := r.Err(t); e.Code != "unauthenticated" {
				t.Errorf("401 body %+v", e)
			}
		}
	}
	req, _ := http.NewRequest(http.MethodGet, s.GatewayURL+"/api/v1/me", nil)
	req.AddCookie(&http.Cookie{Name: "ory_kratos_session", Value: "forged"})
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged cookie: %v %v, want 401", res.StatusCode, err)
	}
}

func expectState(t *testing.T, s *stack.Stack, token, name, state string) {
	t.Helper()
	var l containerList
	s.Call(t, token, http.MethodGet, "/api/v1/containers", nil).JSON(t, &l)
	for _, c := range l.Containers {
		if c.Name == name {
			if c.State != state {
				t.Fatalf("%s is %s, want %s", name, c.State, state)
			}
			return
		}
	}
	t.Fatalf("%s not listed (%+v)", name, l.Containers)
}

// TestBadInput: each bad request gets a 4xx with a clear message (Docker's
// text where Docker refused) and leaves nothing behind.
func TestBadInput(t *testing.T) {
	s := stack.Start(t)
	u := s.Register(t, stack.UniqueName("carol"))
	ok := s.Call(t, u.Token, http.MethodPost, "/api/v1/containers", map[string]any{"name": "taken", "image": s.Image, "cmd": []string{"sleep", "600"}})
	if ok.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", ok.Status, ok.Body)
	}
	tests := []struct {
		name       string
		body       any
		status     int
		code, rule string
		docker     bool
	}{
		{"unknown image", map[string]any{"name": "a1", "image": "no-such-image-dockeronline:9"}, 400, "invalid_argument", "", true},
		{"bad name", map[string]any{"name": "Bad Name!", "image": s.Image}, 400, "invalid_argument", "name", false},
		{"duplicate name", map[string]any{"name": "taken", "image": s.Image}, 409, "conflict", "", true},
		{"missing image", map[string]any{"name": "a2"}, 400, "invalid_argument", "image-reference", false},
		{"missing name", map[string]any{"image": s.Image}, 400, "invalid_argument", "name", false},
		{"unknown field", map[string]any{"name": "a3", "image": s.Image, "priviliged": true}, 400, "invalid_argument", "", false},
		{"wrong type", map[string]any{"name": "a4", "image": s.Image, "cmd": "sleep 5"}, 400, "invalid_argument", "", false},
		{"bad command", map[string]any{"name": "a5", "image": s.Image, "cmd": []string{"/nope"}}, 400, "invalid_argument", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.Call(t, u.Token, http.MethodPost, "/api/v1/containers", tt.body)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			e := r.Err(t)
			if e.Code != tt.code || e.Rule != tt.rule || e.Message == "" {
				t.Errorf("error %+v, want code %s rule %q", e, tt.code, tt.rule)
			}
			if tt.docker && e.Docker == "" {
				t.Errorf("Docker's own text missing: %+v", e)
			}
		})
	}
	var l containerList
	s.Call(t, u.Token, http.MethodGet, "/api/v1/containers", nil).JSON(t, &l)
	if len(l.Containers) != 1 || l.Containers[0].Name != "taken" {
		t.Fatalf("bad input left %+v", l.Containers)
	}
}
