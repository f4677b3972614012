package faults

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/faults/harness"
)

const (
	// With the bus down the gateway cannot ask anyone: pkg/bus answers
	// 503 at once while the connection is down (before, a command waited
	// for its 30 s deadline in the reconnect buffer).
	boundBusDownAnswer = 5 * time.Second
	// Clients reconnect every 2 s (nats.go's default wait).
	boundReconnect = 10 * time.Second
	// A create needs auth and the runner back on the bus.
	boundCreateAfterBus = 15 * time.Second
	// The runner's event follower retries with a backoff of at most 10 s,
	// then re-publishes every container's state.
	boundRouteAfterBus = 20 * time.Second
)

// natsRestart kills NATS (SIGKILL) and starts it again on the same port
// and store: every service reconnects, a create works, and a container
// started (directly in Docker) during the outage gets its route — the
// runner re-publishes its state after the gap, no event is lost.
func natsRestart(t *testing.T, p *harness.Platform) {
	u := p.Register(t, harness.UniqueName("bus"))
	createAll(t, p, u, []string{"x", "y"}, p.WebApp)
	harness.Converge(t, "links live after create", boundRouteLive, func() error { return p.AllLinksLive([]string{"x", "y"}, u.Name) })
	if r := p.Call(t, u.Token, http.MethodPost, "/api/v1/containers/y/stop", nil); r.Status != http.StatusOK {
		t.Fatalf("stop y: %s", r)
	}
	harness.Converge(t, "route of a stopped app removed", boundRouteLive, func() error { return linkGone(p, "y", u.Name) })

	p.NATS.Kill(t)
	r := p.Do(u.Token, http.MethodGet, "/api/v1/containers", nil, nil, 0)
	if e, ok := r.APIError(); r.Err != nil || r.Status < 500 || !ok {
		t.Fatalf("call with the bus down: %s; want a 5xx with an error body", r)
	} else {
		harness.Record(t, "error answer while NATS is down", r.Took, boundBusDownAnswer)
		t.Logf("answer with the bus down: %s (%s: %q)", r, e.Code, e.Message)
	}
	if r.Took > boundBusDownAnswer*2 {
		t.Fatalf("call with the bus down took %v: the gateway hangs", r.Took)
	}
	// Started outside the platform while nobody can hear of it.
	startDirectly(t, p, u, "y")

	start := time.Now()
	p.NATS.Restart(t)
	harness.ConvergeSince(t, start, "every service ready after NATS restart", boundReconnect, func() error { return allReady(p) })
	ctx, cancel := context.WithTimeout(context.Background(), boundCreateAfterBus*harness.Slack)
	defer cancel()
	if r, n := p.CreateRetrying(ctx, u.Token, p.WebApp("z"), "bus-z-"+harness.RandomHex(4)); r.Status != http.StatusCreated {
		t.Fatalf("create after NATS restart: %s after %d attempts", r, n)
	}
	harness.Record(t, "a create works after NATS restart", time.Since(start), boundCreateAfterBus)
	harness.ConvergeSince(t, start, "route of an app started during the NATS outage", boundRouteAfterBus, func() error {
		return p.AllLinksLive([]string{"x", "y", "z"}, u.Name)
	})
	checkExactly(t, p, u, keysOf(t, p, u, "x", "y", "z"))
}

// linkGone is nil once name's link answers the proxy's 404 "No such app".
func linkGone(p *harness.Platform, name, username string) error {
	r := p.Link(name, username)
	if r.Err == nil && r.Status == http.StatusNotFound {
		return nil
	}
	return &statusError{r, http.StatusNotFound}
}

// startDirectly starts u's container name through Docker itself, as a
// person on the host (or a restart policy) would.
func startDirectly(t *testing.T, p *harness.Platform, u harness.User, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := p.Docker.ContainerStart(ctx, u.Name+"--"+name, client.ContainerStartOptions{}); err != nil {
		t.Fatalf("docker start %s--%s: %v", u.Name, name, err)
	}
}

// allReady is nil when every service's /readyz answers 200.
func allReady(p *harness.Platform) error {
	for _, s := range harness.Services {
		if err := p.Service(s).WaitReady(0); err != nil {
			return err
		}
	}
	return nil
}

// keysOf is name → idempotency key of u's containers names, read from
// Docker (for invariants after creates made by createAll).
func keysOf(t *testing.T, p *harness.Platform, u harness.User, names ...string) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, c := range p.Owned(t, u.ID) {
		got[c.Labels[harness.LabelName]] = c.Labels[harness.LabelRequest]
	}
	want := map[string]string{}
	for _, n := range names {
		want[n] = got[n]
		if want[n] == "" {
			want[n] = "(missing " + n + ")"
		}
	}
	return want
}
