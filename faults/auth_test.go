package faults

import (
	"net/http"
	"testing"
	"time"

	"github.com/dockeronline/platform/faults/harness"
)

const (
	// With auth down nobody answers cmd.auth.session.check: NATS says so
	// at once and the gateway answers 503.
	boundAuthDownAnswer = 2 * time.Second
	// Once auth listens again, the next call works.
	boundAuthBack = 5 * time.Second
)

// authKill: with auth killed, API calls get a clear 503 promptly (never a
// hang) and sign-ups are refused; once restarted, calls work again.
func authKill(t *testing.T, p *harness.Platform) {
	u := p.Register(t, harness.UniqueName("auth"))
	auth := p.Service("auth")
	auth.Kill(t)

	const calls = 5
	for i := range calls {
		r := p.Do(u.Token, http.MethodGet, "/api/v1/containers", nil, nil, 0)
		e, ok := r.APIError()
		if r.Err != nil || r.Status != http.StatusServiceUnavailable || !ok || e.Code != "unavailable" {
			t.Fatalf("call %d with auth down: %s; want 503 with an error body {code: unavailable}", i, r)
		}
		if r.Took > boundAuthDownAnswer*harness.Slack {
			t.Fatalf("call %d with auth down took %v, deadline %v", i, r.Took, boundAuthDownAnswer*harness.Slack)
		}
		if i == 0 {
			harness.Record(t, "503 while auth is down", r.Took, boundAuthDownAnswer)
			t.Logf("answer with auth down: %s (%q)", r, e.Message)
		}
	}
	// Registration asks auth to check the username: no answer, no account.
	start := time.Now()
	if _, err := p.SignUp(harness.UniqueName("nope")); err == nil {
		t.Fatal("a sign-up succeeded while auth (its username check) was down")
	} else {
		t.Logf("sign-up with auth down refused after %v: %v", time.Since(start).Round(time.Millisecond), err)
	}

	restart := time.Now()
	auth.Restart(t)
	harness.ConvergeSince(t, restart, "API works after auth restart", boundAuthBack, func() error {
		return expectStatus(p.Do(u.Token, http.MethodGet, "/api/v1/containers", nil, nil, 0), http.StatusOK)
	})
	p.Register(t, harness.UniqueName("after"))
}

// expectStatus is nil when r has status, else an error describing r.
func expectStatus(r harness.Response, status int) error {
	if r.Err == nil && r.Status == status {
		return nil
	}
	return &statusError{r, status}
}

type statusError struct {
	r    harness.Response
	want int
}

func (e *statusError) Error() string {
	return "want " + http.StatusText(e.want) + ", got " + e.r.String()
}
