package build_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/build"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// logOf is a build job's log and error, one text.
func logOf(evs []msg.JobEvent) string {
	var b strings.Builder
	for _, ev := range evs {
		var l msg.BuildLog
		if json.Unmarshal(ev.Progress, &l) == nil {
			b.WriteString(l.Step + "\n" + strings.Join(l.Lines, "\n") + "\n")
		}
		if ev.Error != nil {
			b.WriteString(ev.Error.Message + "\n" + ev.Error.Docker + "\n")
		}
	}
	return b.String()
}

// TestBuildForkBombIsBounded: a fork bomb in a RUN step hits the pids
// limit of the build's cgroup parent (RUNNER_PIDS_LIMIT) and the build
// fails; the runner goes on building afterwards.
func TestBuildForkBombIsBounded(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		h := setup(t, be.env(t, map[string]string{"RUNNER_PIDS_LIMIT": "48"}))
		alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
		removeImage(t, h, alice.Username+"/bomb:latest")
		// Bounded even if the limit did not hold: 300 sleepers of 20 s.
		started, err := start(t, h, alice, msg.BuildRequest{Name: "bomb", NoCache: true,
			Dockerfile: "FROM " + h.image + "\nRUN i=0; while [ $i -lt 300 ]; do sleep 20 & i=$((i+1)); done; echo forked$((1+1)); wait\n"})
		if err != nil {
			t.Fatalf("build: %v", err)
		}
		evs := finish(t, h, started.Job.ID)
		log := logOf(evs)
		if last := evs[len(evs)-1]; last.Type != msg.JobEventError {
			t.Fatalf("the fork bomb built: %s", log)
		}
		if !strings.Contains(log, "can't fork") || strings.Contains(log, "forked2") {
			t.Fatalf("the build did not hit the pids limit:\n%s", log)
		}
		// The runner and the engine are fine: the next build works.
		removeImage(t, h, alice.Username+"/after:latest")
		started, err = start(t, h, alice, msg.BuildRequest{Name: "after", NoCache: true, Dockerfile: "FROM " + h.image + "\nRUN echo fine\n"})
		if err != nil {
			t.Fatalf("build after: %v", err)
		}
		if evs := finish(t, h, started.Job.ID); evs[len(evs)-1].Type != msg.JobEventDone {
			t.Fatalf("build after the bomb: %s", logOf(evs))
		}
	})
}

// TestBuildRunsOnTheUsersNetwork: RUN steps join the user's own default
// network (made if needed), never the engine's bridge, with the memory and
// CPU of the user's quota where it is below a container's maximum.
func TestBuildRunsOnTheUsersNetwork(t *testing.T) {
	h := setup(t, map[string]string{"RUNNER_QUOTA_MEMORY_MB": "512", "RUNNER_QUOTA_CPUS": "1"})
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	removeImage(t, h, alice.Username+"/where:latest")
	started, err := start(t, h, alice, msg.BuildRequest{Name: "where", NoCache: true,
		Dockerfile: "FROM " + h.image + "\nRUN ip -4 -o addr show eth0; echo mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes) cpu=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us)\n"})
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	evs := finish(t, h, started.Job.ID)
	log := logOf(evs)
	if evs[len(evs)-1].Type != msg.JobEventDone {
		t.Fatalf("build failed: %s", log)
	}
	m := regexp.MustCompile(`inet (\d+\.\d+\.\d+\.\d+)/`).FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("no address in the log:\n%s", log)
	}
	ip := netip.MustParseAddr(m[1])
	nw, err := h.cli.NetworkInspect(context.Background(), alice.Username+"--default", client.NetworkInspectOptions{})
	if err != nil {
		t.Fatalf("the user's network: %v", err)
	}
	in := false
	for _, c := range nw.Network.IPAM.Config {
		if c.Subnet.IsValid() && c.Subnet.Contains(ip) {
			in = true
		}
	}
	if !in {
		t.Errorf("RUN step at %s, not on %s--default (%+v)", ip, alice.Username, nw.Network.IPAM.Config)
	}
	if want := fmt.Sprintf("mem=%d cpu=100000", 512<<20); !strings.Contains(log, want) {
		t.Errorf("RUN step limits: want %s in\n%s", want, log)
	}
}

// TestBuildSlotsAreFair: with two slots and one build per user, a user
// who starts three builds holds one slot; another user's build starts
// before the first user's second, which says it is waiting.
func TestBuildSlotsAreFair(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		h := setup(t, be.env(t, map[string]string{"BUILD_CONCURRENCY": "2", "BUILD_PER_USER": "1", "BUILD_QUEUE_PER_USER": "3"}))
		alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
		bob := runnertest.NewUser(t, h.cli, identity.RoleUser)
		type job struct {
			name string
			id   string
			evs  []msg.JobEvent
		}
		var jobsRun []*job
		for i, c := range []identity.Caller{alice, alice, alice, bob} {
			name := fmt.Sprintf("fair%d", i)
			removeImage(t, h, c.Username+"/"+name+":latest")
			df := "FROM " + h.image + "\nRUN echo " + name + " && sleep 3\n"
			if c.UserID == bob.UserID {
				df = "FROM " + h.image + "\nRUN echo " + name + "\n"
			}
			started, err := start(t, h, c, msg.BuildRequest{Name: name, NoCache: true, Dockerfile: df})
			if err != nil {
				t.Fatalf("build %s: %v", name, err)
			}
			jobsRun = append(jobsRun, &job{name: name, id: started.Job.ID})
		}
		// A fourth of alice's, while three are waiting or running, is refused.
		_, err := start(t, h, alice, msg.BuildRequest{Name: "fair4", Dockerfile: "FROM " + h.image + "\n"})
		if ae := apierr.From(err); ae == nil || ae.Rule != build.RuleBuildQueue {
			t.Errorf("alice's fourth build: %v, want rule %s", err, build.RuleBuildQueue)
		}
		var wg sync.WaitGroup
		for _, j := range jobsRun {
			wg.Add(1)
			go func() { defer wg.Done(); j.evs = finish(t, h, j.id) }()
		}
		wg.Wait()
		firstStep := func(j *job) uint64 {
			for _, ev := range j.evs {
				var l msg.BuildLog
				if json.Unmarshal(ev.Progress, &l) == nil && (strings.HasPrefix(l.Step, "Step ") || len(l.Steps) > 0) {
					return ev.Seq
				}
			}
			t.Fatalf("%s: no step in %s", j.name, logOf(j.evs))
			return 0
		}
		a1, a2, a3, b1 := jobsRun[0], jobsRun[1], jobsRun[2], jobsRun[3]
		for _, j := range jobsRun {
			if j.evs[len(j.evs)-1].Type != msg.JobEventDone {
				t.Fatalf("%s failed: %s", j.name, logOf(j.evs))
			}
			waited := strings.Contains(logOf(j.evs), "Waiting for a build slot")
			if want := j == a2 || j == a3; waited != want {
				t.Errorf("%s said waiting: %v, want %v", j.name, waited, want)
			}
		}
		if firstStep(b1) > firstStep(a2) || firstStep(b1) > firstStep(a3) {
			t.Errorf("bob's build started after alice's queued ones (seq %d vs %d, %d)", firstStep(b1), firstStep(a2), firstStep(a3))
		}
		if firstStep(a2) < firstStep(a1) {
			t.Errorf("alice's second build started before her first")
		}
	})
}
