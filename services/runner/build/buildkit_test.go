package build_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// stepsOf is a build job's BuildKit steps, latest state of each, in order.
func stepsOf(t *testing.T, evs []msg.JobEvent) []msg.BuildStep {
	t.Helper()
	var order []string
	by := map[string]msg.BuildStep{}
	for _, ev := range evs {
		var l msg.BuildLog
		if json.Unmarshal(ev.Progress, &l) != nil {
			continue
		}
		for _, s := range l.Steps {
			if _, ok := by[s.ID]; !ok {
				order = append(order, s.ID)
			}
			by[s.ID] = s
		}
	}
	out := make([]msg.BuildStep, 0, len(order))
	for _, id := range order {
		out = append(out, by[id])
	}
	return out
}

// TestBuildKitStepsAndCache: on BuildKit a build reports its steps (name,
// cached, duration), and a second build of the same Dockerfile takes its
// RUN step from the cache.
func TestBuildKitStepsAndCache(t *testing.T) {
	be := backend{name: "buildkit", buildkit: true}
	h := setup(t, be.env(t))
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	removeImage(t, h, alice.Username+"/steps:latest")
	df := "FROM " + h.image + "\nRUN echo step-output && sleep 0.3\nCMD [\"true\"]\n"
	var runs [][]msg.BuildStep
	for i := 0; i < 2; i++ {
		started, err := start(t, h, alice, msg.BuildRequest{Name: "steps", Dockerfile: df})
		if err != nil {
			t.Fatalf("build: %v", err)
		}
		evs := finish(t, h, started.Job.ID)
		if last := evs[len(evs)-1]; last.Type != msg.JobEventDone {
			t.Fatalf("build %d failed: %+v\n%s", i, last.Error, logOf(evs))
		}
		if i == 0 && !strings.Contains(logOf(evs), "step-output") {
			t.Errorf("the RUN step's output is not in the log:\n%s", logOf(evs))
		}
		runs = append(runs, stepsOf(t, evs))
	}
	run := func(steps []msg.BuildStep) *msg.BuildStep {
		for i := range steps {
			if strings.Contains(steps[i].Name, "RUN echo step-output") {
				return &steps[i]
			}
		}
		return nil
	}
	first, second := run(runs[0]), run(runs[1])
	if first == nil || second == nil {
		t.Fatalf("no RUN step reported: %+v / %+v", runs[0], runs[1])
	}
	if first.Cached || first.Completed == nil || first.DurationMS < 300 {
		t.Errorf("first build's RUN step %+v, want run for ≥300 ms", *first)
	}
	if !second.Cached {
		t.Errorf("second build's RUN step %+v, want cached", *second)
	}
}
