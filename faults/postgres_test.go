package faults

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/dockeronline/platform/faults/harness"
)

const (
	// With Postgres down, a create fails at the quota check ("quota store
	// unavailable"); nothing waits for the database to come back.
	boundPostgresDownAnswer = 10 * time.Second
	// database/sql replaces broken connections on the next use.
	boundAfterPostgres = 15 * time.Second
)

// postgresRestart kills Postgres (SIGKILL of the whole server) in the
// middle of use and starts it again on the same data: while it is down
// creates are refused with an error (never a hang) and leave nothing
// behind; afterwards creates (quota check) and session checks (a new
// sign-up) work again.
func postgresRestart(t *testing.T, p *harness.Platform) {
	u := p.Register(t, harness.UniqueName("pg"))
	createAll(t, p, u, []string{"before"}, p.Sleeper)

	p.Postgres.Kill(t)
	key := "pg-" + harness.RandomHex(4)
	r := p.Do(u.Token, http.MethodPost, "/api/v1/containers", p.Sleeper("during"), http.Header{"Idempotency-Key": {key}}, 0)
	if e, ok := r.APIError(); r.Err != nil || r.Status < 500 || !ok {
		t.Fatalf("create with Postgres down: %s; want a 5xx with an error body", r)
	} else {
		harness.Record(t, "error answer while Postgres is down", r.Took, boundPostgresDownAnswer)
		t.Logf("create with Postgres down: %s (%s: %q)", r, e.Code, e.Message)
	}
	if r.Took > boundPostgresDownAnswer*harness.Slack {
		t.Fatalf("create with Postgres down took %v, deadline %v", r.Took, boundPostgresDownAnswer*harness.Slack)
	}
	if _, err := p.SignUp(harness.UniqueName("nodb")); err == nil {
		t.Fatal("a sign-up succeeded with Postgres down")
	}
	if n := p.Inventory(t, u.ID).ByName["during"]; n != 0 {
		t.Fatalf("a refused create left %d containers behind", n)
	}

	start := time.Now()
	p.Postgres.Restart(t)
	ctx, cancel := context.WithTimeout(context.Background(), boundAfterPostgres*harness.Slack)
	defer cancel()
	if r, n := p.CreateRetrying(ctx, u.Token, p.Sleeper("during"), key); r.Status != http.StatusCreated {
		t.Fatalf("create after Postgres restart: %s after %d attempts", r, n)
	}
	harness.Record(t, "a create (quota check) works after Postgres restart", time.Since(start), boundAfterPostgres)
	var fresh harness.User
	harness.ConvergeSince(t, start, "sign-up and session check work after Postgres restart", boundAfterPostgres, func() error {
		var err error
		if fresh.Token == "" {
			if fresh, err = p.SignUp(harness.UniqueName("back")); err != nil {
				return err
			}
		}
		return expectStatus(p.Do(fresh.Token, http.MethodGet, "/api/v1/me", nil, nil, 0), http.StatusOK)
	})
	if r := p.Call(t, u.Token, http.MethodGet, "/api/v1/me", nil); r.Status != http.StatusOK {
		t.Fatalf("GET /me of a user from before the restart: %s", r)
	}
	want := keysOf(t, p, u, "before")
	want["during"] = key
	checkExactly(t, p, u, want)
	t.Logf("checked: users from before and after the restart are served; %d containers, as asked", len(want))
}
