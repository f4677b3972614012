package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/e2e/stack"
	"github.com/dockeronline/platform/pkg/msg"
)

// TestAdminGivesAUserGVisor: through the public API an admin moves a user
// to gVisor (PUT /admin/users/{id}/quota {"runtime":"runsc"}); the user's
// next container runs under runsc; the user can neither set it nor pick a
// runtime in host_config; an unknown runtime is a 400.
func TestAdminGivesAUserGVisor(t *testing.T) {
	s := stack.Start(t)
	adm := s.RegisterAdmin(t)
	u := s.Register(t, stack.UniqueName("gvisor"))
	quota := "/api/v1/admin/users/" + u.UserID + "/quota"

	r := s.Call(t, adm.Token, http.MethodPut, quota, map[string]any{"runtime": "runsc"})
	if r.Status != http.StatusOK {
		t.Fatalf("admin sets runsc: %d %s", r.Status, r.Body)
	}
	var usage msg.Usage
	r.JSON(t, &usage)
	if usage.Quota.Runtime != "runsc" {
		t.Fatalf("usage after the change: %+v", usage)
	}
	for _, tc := range []struct {
		name  string
		token string
		body  map[string]any
		code  int
	}{
		{"unknown runtime", adm.Token, map[string]any{"runtime": "kata"}, http.StatusBadRequest},
		{"user sets their own", u.Token, map[string]any{"runtime": "runc"}, http.StatusForbidden},
	} {
		if r := s.Call(t, tc.token, http.MethodPut, quota, tc.body); r.Status != tc.code {
			t.Errorf("%s: %d %s, want %d", tc.name, r.Status, r.Body, tc.code)
		}
	}

	r = s.Call(t, u.Token, http.MethodPost, "/api/v1/containers", map[string]any{"name": "sandboxed", "image": s.Image, "cmd": []string{"sleep", "600"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var c msg.Container
	r.JSON(t, &c)
	in, err := s.Docker.ContainerInspect(context.Background(), c.ID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if in.Container.HostConfig.Runtime != "runsc" {
		t.Errorf("the container's runtime is %q, want runsc", in.Container.HostConfig.Runtime)
	}

	r = s.Call(t, u.Token, http.MethodPost, "/api/v1/containers", map[string]any{"name": "picks", "image": s.Image, "cmd": []string{"sleep", "600"},
		"host_config": map[string]any{"Runtime": "runc"}})
	if r.Status < 400 || r.Status >= 500 || !strings.Contains(string(r.Body), "default-runtime-only") {
		t.Errorf("user picks runc: %d %s, want a 4xx naming default-runtime-only", r.Status, r.Body)
	}
}
