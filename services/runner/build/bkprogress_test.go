package build

import (
	"errors"
	"strings"
	"testing"
	"time"

	bkclient "github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/policy"
)

// TestStepsFromSolveStatus: BuildKit's vertices become steps (started,
// cached, duration, error) sent only when they change, their logs become
// lines under their name, and a failure names the step that failed on its
// own (not one canceled because of it) or the source policy's rule.
func TestStepsFromSolveStatus(t *testing.T) {
	var events []msg.BuildLog
	out := newOutput(func(l msg.BuildLog) { events = append(events, l) })
	s := newSteps(out)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t1 := t0.Add(1500 * time.Millisecond)
	a, b, c := digest.FromString("a"), digest.FromString("b"), digest.FromString("c")
	s.status(&bkclient.SolveStatus{Vertexes: []*bkclient.Vertex{
		{Digest: a, Name: "[1/3] FROM base", Cached: true},
		{Digest: b, Name: "[2/3] RUN make", Started: &t0},
	}})
	s.status(&bkclient.SolveStatus{Logs: []*bkclient.VertexLog{{Vertex: b, Data: []byte("compiling\nlinking\n")}}})
	s.status(&bkclient.SolveStatus{Vertexes: []*bkclient.Vertex{
		{Digest: b, Name: "[2/3] RUN make", Started: &t0, Completed: &t1},
		{Digest: b, Name: "[2/3] RUN make", Started: &t0, Completed: &t1}, // unchanged: not sent again
		{Digest: c, Name: "[3/3] RUN test", Started: &t1, Completed: &t1, Error: "process did not complete successfully: exit code: 1"},
	}})
	out.end()
	got := map[string]msg.BuildStep{}
	sent := 0
	var lines []string
	for _, e := range events {
		for _, st := range e.Steps {
			got[st.Name] = st
			sent++
		}
		lines = append(lines, e.Lines...)
	}
	if st := got["[1/3] FROM base"]; !st.Cached {
		t.Errorf("FROM step %+v, want cached", st)
	}
	if st := got["[2/3] RUN make"]; st.DurationMS != 1500 || st.Completed == nil {
		t.Errorf("RUN make %+v, want 1500 ms", st)
	}
	if st := got["[3/3] RUN test"]; st.Error == "" {
		t.Errorf("RUN test %+v, want its error", st)
	}
	if sent != 4 {
		t.Errorf("%d step updates sent, want 4 (one per change)", sent)
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{"#1 [1/3] FROM base", "#1 CACHED", "#2 [2/3] RUN make", "#2 compiling", "#2 linking", "#2 DONE 1.5s", "#3 ERROR: process did not complete"} {
		if !strings.Contains(all, want) {
			t.Errorf("lines lack %q:\n%s", want, all)
		}
	}
	e := s.failure(errors.New("rpc error: code = Unknown desc = process \"/bin/sh -c test\" did not complete successfully: exit code: 1"))
	if !strings.Contains(e.Message, "[3/3] RUN test") || !strings.HasPrefix(e.Docker, "process ") {
		t.Errorf("failure %+v, want the step and BuildKit's words", e)
	}
	e = s.failure(errors.New(`failed to load LLB: source "http://10.0.0.1/" denied by policy`))
	if e.Code != apierr.CodePolicy || e.Rule != policy.RuleRemoteSource {
		t.Errorf("policy failure %+v, want rule %s", e, policy.RuleRemoteSource)
	}
}

// TestContextKey: the name the Dockerfile frontend looks an image up by.
func TestContextKey(t *testing.T) {
	for in, want := range map[string]string{
		"busybox":                          "busybox",
		"busybox:latest":                   "busybox",
		"docker.io/library/busybox:latest": "busybox",
		"alice/app:1":                      "alice/app:1",
		"registry.example:5000/x/y":        "registry.example:5000/x/y",
	} {
		if got, err := contextKey(in); err != nil || got != want {
			t.Errorf("contextKey(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := contextKey("UPPER/Case"); err == nil {
		t.Errorf("an invalid reference has a key")
	}
}

// TestSourcePolicyLastRuleWins: the deny-all comes first, the allows after
// (BuildKit applies the last matching rule).
func TestSourcePolicyLastRuleWins(t *testing.T) {
	p := sourcePolicy([]string{"sha256:abc"})
	if len(p.Rules) != 4 || p.Rules[0].Selector.Identifier != "*" || p.Rules[0].Action.String() != "DENY" {
		t.Fatalf("rules %v", p.Rules)
	}
	for _, r := range p.Rules[1:] {
		if r.Action.String() != "ALLOW" {
			t.Errorf("rule %v after the deny is not an allow", r)
		}
	}
	if id := p.Rules[3].Selector.Identifier; id != "oci-layout://*@sha256:abc" {
		t.Errorf("base rule %q", id)
	}
}
