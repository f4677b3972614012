package faults

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/dockeronline/platform/faults/harness"
)

const (
	// A new web app's link answers once its start event went through the
	// bus, the feeder and the route table.
	boundRouteLive = 10 * time.Second
	// A restarted proxy rebuilds its table from the routes bucket before
	// it says it is ready, and its durable consumer picks up the events it
	// missed.
	boundRoutesAfterProxyRestart = 10 * time.Second
)

// proxyKill: K web apps are live; the proxy is killed; an app is created
// while it is down; after the restart every link — the new one too —
// answers 200.
func proxyKill(t *testing.T, p *harness.Platform) {
	k := harness.Pick(3, 10)
	u := p.Register(t, harness.UniqueName("links"))
	var names []string
	for i := range k {
		names = append(names, fmt.Sprintf("web%d", i))
	}
	createAll(t, p, u, names, p.WebApp)
	harness.Converge(t, fmt.Sprintf("%d links live after create", k), boundRouteLive, func() error {
		return p.AllLinksLive(names, u.Name)
	})

	proxy := p.Service("proxy")
	proxy.Kill(t)
	if r := p.Link(names[0], u.Name); r.Err == nil {
		t.Fatalf("a link answered with the proxy killed: %s", r)
	} else {
		t.Logf("link with the proxy down: %v (after %v)", r.Err, r.Took.Round(time.Millisecond))
	}
	// An event the proxy is not there to see.
	createAll(t, p, u, []string{"late"}, p.WebApp)
	names = append(names, "late")

	start := time.Now()
	proxy.Restart(t)
	took := time.Since(start)
	harness.ConvergeSince(t, start, fmt.Sprintf("%d links live after proxy restart (incl. one made while it was down)", len(names)), boundRoutesAfterProxyRestart, func() error {
		return p.AllLinksLive(names, u.Name)
	})
	t.Logf("checked: %d routes answer 200 (the proxy was ready %v after its restart)", len(names), took.Round(time.Millisecond))
}

// createAll creates specs for names as u, each answered 201 (retrying
// what a client would retry), and fails the test otherwise.
func createAll(t *testing.T, p *harness.Platform, u harness.User, names []string, spec func(string) map[string]any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, n := range names {
		r, attempts := p.CreateRetrying(ctx, u.Token, spec(n), "create-"+n+"-"+harness.RandomHex(4))
		if r.Status != http.StatusCreated {
			t.Fatalf("create %s: %s after %d attempts", n, r, attempts)
		}
	}
}
