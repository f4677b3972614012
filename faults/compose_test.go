package faults

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/faults/harness"
)

const (
	// A job whose runner died stops heartbeating; readers report it failed
	// ("lost") once it is stale: 2 minutes (pkg/jobs.StaleAfter).
	boundLostJob = 2*time.Minute + 30*time.Second
	// Compose up of the stack again, from scratch or half-made.
	boundComposeUp = time.Minute
)

const composeServices = 8

// composeFile is a stack of tiny services, each its own container.
func composeFile(image string) string {
	var b strings.Builder
	b.WriteString("services:\n")
	for i := range composeServices {
		fmt.Fprintf(&b, "  s%d:\n    image: %s\n    command: [\"sleep\", \"3600\"]\n    mem_limit: 16m\n    cpus: 0.05\n", i, image)
	}
	return b.String()
}

// composeUpRunnerKill kills the runner while a compose up is half done.
// The interrupted job is reported failed (a client following it is told,
// never left waiting), running the same up again converges, and Docker
// then holds exactly one container per service — none twice, none
// orphaned.
func composeUpRunnerKill(t *testing.T, p *harness.Platform) {
	u := p.Register(t, harness.UniqueName("stack"))
	up := func() string {
		r := p.Call(t, u.Token, http.MethodPost, "/api/v1/stacks", map[string]any{"name": "app", "compose": composeFile(p.Image)})
		var started struct {
			Job struct {
				ID string `json:"id"`
			} `json:"job"`
		}
		r.JSON(t, &started)
		if r.Status != http.StatusAccepted || started.Job.ID == "" {
			t.Fatalf("compose up: %s", r)
		}
		return started.Job.ID
	}
	first := up()
	var atKill int
	harness.Converge(t, "compose up under way", boundComposeUp, func() error {
		atKill = len(p.Owned(t, u.ID))
		if atKill < 2 {
			return fmt.Errorf("%d containers so far", atKill)
		}
		return nil
	})
	runner := p.Service("runner")
	runner.Kill(t)
	killed := time.Now()
	if job := jobState(t, p, u, first); job == "done" {
		t.Fatalf("compose up was done before the kill (%d containers): the scenario proves nothing", atKill)
	}
	t.Logf("runner killed with %d of %d containers made", atKill, composeServices)
	time.Sleep(time.Second)
	runner.Restart(t)

	second := up()
	harness.ConvergeSince(t, killed, "compose up run again completes", boundComposeUp, func() error {
		if s := jobState(t, p, u, second); s != "done" {
			return fmt.Errorf("job %s", s)
		}
		return nil
	})
	checkStack(t, p, u)
	harness.ConvergeSince(t, killed, "interrupted compose-up job reported failed", boundLostJob, func() error {
		if s := jobState(t, p, u, first); s != "failed" {
			return fmt.Errorf("job %s", s)
		}
		return nil
	})
}

// jobState is a job's state as GET /api/v1/jobs/{id} tells its owner.
func jobState(t *testing.T, p *harness.Platform, u harness.User, id string) string {
	t.Helper()
	var j struct {
		State string `json:"state"`
	}
	r := p.Call(t, u.Token, http.MethodGet, "/api/v1/jobs/"+id, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET job %s: %s", id, r)
	}
	r.JSON(t, &j)
	return j.State
}

// checkStack: u's containers are exactly the stack's services, once each,
// all running.
func checkStack(t *testing.T, p *harness.Platform, u harness.User) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := p.Docker.ContainerList(ctx, client.ContainerListOptions{All: true,
		Filters: make(client.Filters).Add("label", harness.LabelOwner+"="+u.ID)})
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	var bad []string
	for _, c := range res.Items {
		svc := c.Labels["com.docker.compose.service"]
		per[svc]++
		if c.Labels["dockeronline.stack"] != "app" || svc == "" {
			bad = append(bad, fmt.Sprintf("orphan %v (not of the stack)", c.Names))
		}
		if c.State != "running" {
			bad = append(bad, fmt.Sprintf("%v is %s", c.Names, c.State))
		}
	}
	for i := range composeServices {
		if n := per[fmt.Sprintf("s%d", i)]; n != 1 {
			bad = append(bad, fmt.Sprintf("service s%d has %d containers, want 1", i, n))
		}
	}
	if len(res.Items) != composeServices || len(bad) > 0 {
		t.Fatalf("%d containers after the fault, want %d: %v", len(res.Items), composeServices, bad)
	}
	t.Logf("checked: %d containers, one per service, all running, 0 orphans", len(res.Items))
}
