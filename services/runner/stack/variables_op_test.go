package stack_test

import (
	"strings"
	"testing"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// TestStackVariablesAndDotEnv: the variables op lists what a file uses,
// with the uploaded .env's values; up reads the same .env, the request's
// env overriding it; another user's upload is not found.
func TestStackVariablesAndDotEnv(t *testing.T) {
	h := setup(t)
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	bob := runnertest.NewUser(t, h.cli, identity.RoleUser)
	compose := "services:\n  app:\n    image: ${IMAGE}\n    command: [\"sh\", \"-c\", \"echo greeting=$${GREETING} who=${WHO:-nobody} tag=${TAG}; sleep 3600\"]\n    environment:\n      GREETING: ${GREETING:?say hello}\n"
	files := map[string]string{".env": "IMAGE=" + h.image + "\nGREETING=hello-from-dotenv\nWHO=dotenv\n"}

	cases := []struct {
		name    string
		req     func() msg.StackVariablesRequest
		as      identity.Caller
		dotEnv  bool
		values  map[string]string // name → .env value
		errCode apierr.Code
	}{
		{name: "compose only", as: alice, req: func() msg.StackVariablesRequest { return msg.StackVariablesRequest{Compose: compose} }},
		{name: "with the project", as: alice, dotEnv: true,
			req: func() msg.StackVariablesRequest {
				return msg.StackVariablesRequest{Compose: compose, Context: upload(t, h, alice.UserID, files)}
			},
			values: map[string]string{"IMAGE": h.image, "GREETING": "hello-from-dotenv", "WHO": "dotenv"}},
		{name: "another user's upload", as: bob, errCode: apierr.CodeNotFound,
			req: func() msg.StackVariablesRequest {
				return msg.StackVariablesRequest{Compose: compose, Context: upload(t, h, alice.UserID, files)}
			}},
		{name: "no compose", as: alice, errCode: apierr.CodeInvalid, req: func() msg.StackVariablesRequest { return msg.StackVariablesRequest{} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := call[msg.StackVariables](t, h, c.as, subjects.StackVariables, c.req())
			if c.errCode != "" {
				if ae := apierr.From(err); ae == nil || ae.Code != c.errCode {
					t.Fatalf("got %v, want %s", err, c.errCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, v := range got.Variables {
				names = append(names, v.Name)
				if want, ok := c.values[v.Name]; (ok != v.InDotEnv) || v.Value != want {
					t.Errorf("%s: value %q (in .env %v), want %q", v.Name, v.Value, v.InDotEnv, want)
				}
				if v.Name == "GREETING" && (!v.Required || strings.Join(v.Used, ",") != "services.app.environment.GREETING") {
					t.Errorf("GREETING = %+v", v)
				}
				if v.Name == "WHO" && v.Default != "nobody" {
					t.Errorf("WHO = %+v", v)
				}
			}
			if strings.Join(names, ",") != "IMAGE,WHO,TAG,GREETING" || got.DotEnv != c.dotEnv {
				t.Errorf("variables %v dotenv %v", names, got.DotEnv)
			}
		})
	}

	// Up reads the .env; the request's env beats it; TAG, unset, is noted.
	started, err := call[msg.JobStarted](t, h, alice, subjects.StackUp, msg.StackUpRequest{Name: "vars", Compose: compose,
		Env: map[string]string{"WHO": "the-form"}, Context: upload(t, h, alice.UserID, files)})
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	t.Cleanup(func() {
		_, _ = call[msg.StackDownResult](t, h, alice, subjects.StackDown, msg.StackRef{Name: "vars", Volumes: true})
	})
	evs := finish(t, h, started.Job.ID)
	last := evs[len(evs)-1]
	if last.Type != msg.JobEventDone {
		t.Fatalf("up failed: %+v", last.Error)
	}
	if !strings.Contains(string(last.Result), "TAG is not set: an empty value is used (services.app.command)") {
		t.Errorf("no note on TAG: %s", last.Result)
	}
	waitLogs(t, h, alice.Username+"--vars-app", "greeting=hello-from-dotenv who=the-form tag=")

	// Without the .env, the required variable is named where it is used.
	_, err = call[msg.JobStarted](t, h, alice, subjects.StackUp, msg.StackUpRequest{Name: "vars2", Compose: compose, Env: map[string]string{"IMAGE": h.image}})
	if ae := apierr.From(err); ae == nil || !strings.Contains(ae.Message, "GREETING is not set (services.app.environment.GREETING)") {
		t.Fatalf("got %v, want GREETING named", err)
	}
}
