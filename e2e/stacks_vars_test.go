package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dockeronline/platform/e2e/stack"
	"github.com/dockeronline/platform/pkg/msg"
)

// TestStackVariablesAPI: POST /api/v1/stacks/variables lists a compose
// file's variables — as JSON alone, and as the multipart form of an up
// with the project, whose .env gives values — and refuses what is not a
// compose file, through the gateway, the object store and the runner.
func TestStackVariablesAPI(t *testing.T) {
	w := stack.StartWeb(t)
	s := w.Stack
	a := s.Register(t, stack.UniqueName("vara"))
	compose := "services:\n  web:\n    image: ${IMAGE:-busybox}\n    volumes: [\"${MEDIA}:/media\"]\n    environment:\n      PASS: ${PASS:?set a password}\n"
	files := map[string]string{"compose.yaml": compose, ".env": "MEDIA=/srv/media\nPASS=\"s3cret value\"\n"}
	cases := []struct {
		name    string
		call    func() stack.Response
		status  int
		dotEnv  bool
		values  map[string]string
		message string
	}{
		{name: "json", status: http.StatusOK, call: func() stack.Response {
			return s.Call(t, a.Token, http.MethodPost, "/api/v1/stacks/variables", map[string]any{"compose": compose})
		}},
		{name: "with the project", status: http.StatusOK, dotEnv: true, values: map[string]string{"MEDIA": "/srv/media", "PASS": "s3cret value"},
			call: func() stack.Response {
				return postForm(t, s, a.Token, "/api/v1/stacks/variables", map[string]any{"compose": compose}, files)
			}},
		{name: "not YAML", status: http.StatusBadRequest, message: "invalid", call: func() stack.Response {
			return s.Call(t, a.Token, http.MethodPost, "/api/v1/stacks/variables", map[string]any{"compose": "services: ["})
		}},
		{name: "signed out", status: http.StatusUnauthorized, call: func() stack.Response {
			return s.Call(t, "", http.MethodPost, "/api/v1/stacks/variables", map[string]any{"compose": compose})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			r := c.call()
			t.Logf("answered in %v", time.Since(start))
			if r.Status != c.status {
				t.Fatalf("%d %s, want %d", r.Status, r.Body, c.status)
			}
			if c.status != http.StatusOK {
				if c.message != "" && !strings.Contains(strings.ToLower(r.Err(t).Message), c.message) {
					t.Errorf("error %s, want it to say %q", r.Body, c.message)
				}
				return
			}
			var got msg.StackVariables
			r.JSON(t, &got)
			if got.DotEnv != c.dotEnv || len(got.Variables) != 3 {
				t.Fatalf("got %+v", got)
			}
			want := map[string]msg.StackVariable{
				"IMAGE": {Default: "busybox", Used: []string{"services.web.image"}},
				"MEDIA": {Used: []string{"services.web.volumes"}},
				"PASS":  {Required: true, Used: []string{"services.web.environment.PASS"}},
			}
			for _, v := range got.Variables {
				wv := want[v.Name]
				if v.Default != wv.Default || v.Required != wv.Required || strings.Join(v.Used, ",") != strings.Join(wv.Used, ",") || v.Value != c.values[v.Name] {
					t.Errorf("%s = %+v", v.Name, v)
				}
			}
		})
	}
}
