package faults

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dockeronline/platform/faults/harness"
)

const (
	// An unreachable engine is a refused connection: the runner answers
	// 503 at once.
	boundDockerDownAnswer = 5 * time.Second
	// The next create after the engine is back works.
	boundCreateAfterDocker = 10 * time.Second
	// The event follower retries with a backoff of at most 10 s, then
	// resyncs every container.
	boundRouteAfterDocker = 15 * time.Second
)

// dockerCut severs the runner from the Docker engine: creates get a prompt
// 503 saying the engine is not reachable; after the restore a create
// works, and the event follower resyncs, so a container started directly
// in Docker during the cut gets its route.
func dockerCut(t *testing.T, p *harness.Platform) {
	u := p.Register(t, harness.UniqueName("cut"))
	createAll(t, p, u, []string{"w", "v"}, p.WebApp)
	harness.Converge(t, "links live after create", boundRouteLive, func() error { return p.AllLinksLive([]string{"w", "v"}, u.Name) })
	if r := p.Call(t, u.Token, http.MethodPost, "/api/v1/containers/v/stop", nil); r.Status != http.StatusOK {
		t.Fatalf("stop v: %s", r)
	}
	harness.Converge(t, "route of a stopped app removed", boundRouteLive, func() error { return linkGone(p, "v", u.Name) })

	p.Relay.Sever()
	key := "cut-" + harness.RandomHex(4)
	hdr := http.Header{"Idempotency-Key": {key}}
	for i := range 3 {
		r := p.Do(u.Token, http.MethodPost, "/api/v1/containers", p.Sleeper("during"), hdr, 0)
		e, ok := r.APIError()
		if r.Err != nil || r.Status != http.StatusServiceUnavailable || !ok || e.Code != "unavailable" ||
			!strings.Contains(e.Message, "Docker engine is not reachable") {
			t.Fatalf("create %d with Docker cut off: %s; want 503 {code: unavailable, message: …Docker engine is not reachable…}", i, r)
		}
		if r.Took > boundDockerDownAnswer*harness.Slack {
			t.Fatalf("create with Docker cut off took %v, deadline %v", r.Took, boundDockerDownAnswer*harness.Slack)
		}
		if i == 0 {
			harness.Record(t, "503 while Docker is cut off", r.Took, boundDockerDownAnswer)
			t.Logf("answer with Docker cut off: %s", r)
		}
	}
	startDirectly(t, p, u, "v") // the harness' own client still reaches Docker

	start := time.Now()
	p.Relay.Restore(t)
	ctx, cancel := context.WithTimeout(context.Background(), boundCreateAfterDocker*harness.Slack)
	defer cancel()
	if r, n := p.CreateRetrying(ctx, u.Token, p.Sleeper("during"), key); r.Status != http.StatusCreated {
		t.Fatalf("create after Docker is back: %s after %d attempts", r, n)
	}
	harness.Record(t, "a create works after Docker is back", time.Since(start), boundCreateAfterDocker)
	harness.ConvergeSince(t, start, "route of an app started during the Docker cut", boundRouteAfterDocker, func() error {
		return p.AllLinksLive([]string{"w", "v"}, u.Name)
	})
	want := keysOf(t, p, u, "w", "v")
	want["during"] = key
	checkExactly(t, p, u, want)
}
