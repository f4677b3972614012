package build_test

import (
	"encoding/json"
	"fmt"
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

// TestBuildKitRunStepLimits: a BuildKit RUN step runs under the memory and
// CPU of the user's quota (below a container's maximum; the pids limit
// is TestBuildForkBombIsBounded's); a step that takes more memory is killed and
// the build fails, naming the step.
func TestBuildKitRunStepLimits(t *testing.T) {
	be := backend{name: "buildkit", buildkit: true}
	h := setup(t, be.env(t, map[string]string{"RUNNER_QUOTA_MEMORY_MB": "128", "RUNNER_QUOTA_CPUS": "1", "RUNNER_PIDS_LIMIT": "64"}))
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	removeImage(t, h, alice.Username+"/limits:latest")
	started, err := start(t, h, alice, msg.BuildRequest{Name: "limits", NoCache: true,
		Dockerfile: "FROM " + h.image + "\nRUN echo mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes) cpu=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us)\n"})
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	evs := finish(t, h, started.Job.ID)
	log := logOf(evs)
	if evs[len(evs)-1].Type != msg.JobEventDone {
		t.Fatalf("build failed: %s", log)
	}
	if want := fmt.Sprintf("mem=%d cpu=100000", 128<<20); !strings.Contains(log, want) {
		t.Errorf("RUN step limits: want %s in\n%s", want, log)
	}

	removeImage(t, h, alice.Username+"/hog:latest")
	started, err = start(t, h, alice, msg.BuildRequest{Name: "hog", NoCache: true,
		Dockerfile: "FROM " + h.image + "\nRUN x=$(head -c 400000000 /dev/zero | tr '\\0' a); echo survived ${#x}\n"})
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	evs = finish(t, h, started.Job.ID)
	log = logOf(evs)
	last := evs[len(evs)-1]
	if last.Type != msg.JobEventError || strings.Contains(log, "survived 400000000") {
		t.Fatalf("the memory hog built:\n%s", log)
	}
	if !strings.Contains(last.Error.Message, "RUN x=$(head") {
		t.Errorf("error %+v does not name the step", last.Error)
	}
}

// TestBuildCopyFromAnImage: an image read only by COPY --from is pinned
// with the bases and given to the builder (on BuildKit, as an OCI layout
// the source policy allows).
func TestBuildCopyFromAnImage(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		h := setup(t, be.env(t))
		alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
		removeImage(t, h, alice.Username+"/copyfrom:latest")
		started, err := start(t, h, alice, msg.BuildRequest{Name: "copyfrom", NoCache: true,
			Dockerfile: "FROM scratch\nCOPY --from=" + h.image + " /bin/busybox /busybox\n"})
		if err != nil {
			t.Fatalf("build: %v", err)
		}
		evs := finish(t, h, started.Job.ID)
		if last := evs[len(evs)-1]; last.Type != msg.JobEventDone {
			t.Fatalf("build failed: %+v\n%s", last.Error, logOf(evs))
		}
	})
}
