package faults

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dockeronline/platform/faults/harness"
)

// Stated bounds (docs/FAULTS.md).
const (
	// A create in flight in a runner that dies is answered by the gateway
	// after its 30 s command timeout; the client's retry then finds the
	// container. So the burst (the rest of it included) completes within
	// 45 s of the restart.
	boundBurstAfterRunnerRestart = 45 * time.Second
	// A gateway that dies drops its connections; retries succeed as soon
	// as it listens again, and the rest of the burst takes its usual time
	// (about 0.5 s a create on 2 cores).
	boundBurstAfterGatewayRestart = 20 * time.Second
)

func runnerKillMidBurst(t *testing.T, p *harness.Platform) {
	burstWithFault(t, p, "runner", boundBurstAfterRunnerRestart)
}

func gatewayKillMidBurst(t *testing.T, p *harness.Platform) {
	burstWithFault(t, p, "gateway", boundBurstAfterGatewayRestart)
}

// burstWithFault sends a burst of N creates (each with its own
// Idempotency-Key, retried by the client on 5xx, 429 and connection errors
// until answered), kills service with SIGKILL once a quarter of them are
// answered — so others are in flight — and restarts it a second later.
// Then Docker must hold exactly the N containers: none lost, none twice
// (counted by the idempotency label), no orphan of this user.
func burstWithFault(t *testing.T, p *harness.Platform, service string, bound time.Duration) {
	n := harness.Pick(12, 20) // 20: the default per-user container quota
	const concurrency = 4
	u := p.Register(t, harness.UniqueName("burst"))
	run := harness.RandomHex(4)
	want := map[string]string{} // name → idempotency key
	for i := range n {
		want[fmt.Sprintf("c%02d", i)] = fmt.Sprintf("burst-%s-%02d", run, i)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*bound*harness.Slack)
	defer cancel()
	var answered, retried atomic.Int32
	faultAt := make(chan struct{})
	var once sync.Once
	results := make(chan result, n)
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for name, key := range want {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			r, attempts := p.CreateRetrying(ctx, u.Token, p.Sleeper(name), key)
			if attempts > 1 {
				retried.Add(1)
			}
			results <- result{name, r, attempts, time.Now()}
			if int(answered.Add(1)) >= n/4 {
				once.Do(func() { close(faultAt) })
			}
		})
	}

	<-faultAt
	svc := p.Service(service)
	svc.Kill(t)
	time.Sleep(time.Second)
	svc.Restart(t)
	restarted := time.Now()
	wg.Wait()
	close(results)

	var last time.Time
	for r := range results {
		if r.resp.Status != http.StatusCreated {
			t.Errorf("create %s: %s after %d attempts", r.name, r.resp, r.attempts)
		}
		last = maxTime(last, r.at)
	}
	if t.Failed() {
		t.FailNow()
	}
	harness.Record(t, fmt.Sprintf("burst of %d creates done after %s restart", n, service), max(0, last.Sub(restarted)), bound)
	if last.Sub(restarted) > bound*harness.Slack {
		t.Fatalf("burst finished %v after the restart, deadline %v", last.Sub(restarted), bound*harness.Slack)
	}
	if retried.Load() == 0 {
		t.Fatalf("no create had to be retried: the %s kill did not hit the burst", service)
	}
	t.Logf("%d of %d creates were retried across the %s kill", retried.Load(), n, service)

	checkExactly(t, p, u, want)
}

type result struct {
	name     string
	resp     harness.Response
	attempts int
	at       time.Time
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// checkExactly asserts the invariants in Docker and through the API: the
// user has exactly want (name → key), each container once and running.
func checkExactly(t *testing.T, p *harness.Platform, u harness.User, want map[string]string) {
	t.Helper()
	inv := p.Inventory(t, u.ID)
	if bad := inv.CheckExactly(want); len(bad) > 0 {
		t.Fatalf("Docker after the fault:\n%v", bad)
	}
	var list struct {
		Containers []struct {
			Name  string `json:"name"`
			State string `json:"state"`
		} `json:"containers"`
	}
	p.Call(t, u.Token, http.MethodGet, "/api/v1/containers", nil).JSON(t, &list)
	if len(list.Containers) != len(want) {
		t.Fatalf("the API lists %d containers, want %d", len(list.Containers), len(want))
	}
	for _, c := range list.Containers {
		if _, ok := want[c.Name]; !ok || c.State != "running" {
			t.Fatalf("the API lists %s (%s), not an expected running container", c.Name, c.State)
		}
	}
	t.Logf("checked: %d containers in Docker, %d idempotency keys each used once, %d running, 0 orphans; the API lists %d",
		inv.Total, len(inv.ByRequest), inv.Running, len(list.Containers))
}
