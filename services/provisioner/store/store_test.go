package store_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/testenv"
	"github.com/dockeronline/platform/services/provisioner/store"
)

func open(t *testing.T) (*store.Store, string) {
	t.Helper()
	dsn := testenv.Postgres(t)
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dsn
}

// Instances starting together migrate once; a restart migrates nothing.
func TestMigrateIsIdempotentAndConcurrent(t *testing.T) {
	dsn := testenv.Postgres(t)
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = store.Migrate(context.Background(), db)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Migrate: %v", err)
		}
	}
	if err := store.Migrate(context.Background(), db); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}
	if got := testenv.PSQL(t, dsn, "select count(*) from provisioner.schema_migrations"); got != "1" {
		t.Fatalf("schema_migrations rows = %s, want 1", got)
	}
}

func TestBeginCountsAttemptsPerEvent(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	steps := []struct {
		event        string
		wantAttempts int
	}{
		{"e1", 1}, {"e1", 2}, {"e1", 3}, {"e2", 1}, {"e2", 2},
	}
	for _, st := range steps {
		a, err := s.Begin(ctx, "u-1", "alice", msg.ProvisionCreate, st.event)
		if err != nil {
			t.Fatal(err)
		}
		if a.State != msg.ProvisionPending || a.Attempts != st.wantAttempts || a.LastEventID != st.event {
			t.Fatalf("Begin(%s) = %+v, want pending, attempts %d", st.event, a, st.wantAttempts)
		}
	}
	a, err := s.Finish(ctx, "u-1", msg.ProvisionFailed, "boom")
	if err != nil || a.State != msg.ProvisionFailed || a.Reason != "boom" || a.Attempts != 2 {
		t.Fatalf("Finish = %+v, %v", a, err)
	}
	got, found, err := s.Get(ctx, "u-1")
	if err != nil || !found || got != a {
		t.Fatalf("Get = %+v %v %v, want %+v", got, found, err, a)
	}
	if _, found, _ := s.Get(ctx, "nobody"); found {
		t.Fatal("Get(nobody) found a row")
	}
}

// A live account holds its username; a removed one frees it.
func TestUsernameIsHeldUntilRemoved(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	if _, err := s.Begin(ctx, "u-1", "alice", msg.ProvisionCreate, "e1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Begin(ctx, "u-2", "alice", msg.ProvisionCreate, "e2"); !errors.Is(err, store.ErrUsernameHeld) {
		t.Fatalf("second user with the same name: err = %v, want ErrUsernameHeld", err)
	}
	if _, err := s.Record(ctx, "u-1", "alice", msg.ProvisionDelete, "e3", msg.ProvisionRemoved, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Begin(ctx, "u-2", "alice", msg.ProvisionCreate, "e2"); err != nil {
		t.Fatalf("name of a removed account: %v", err)
	}
}

func TestListAndNeedingWork(t *testing.T) {
	s, dsn := open(t)
	ctx := context.Background()
	for _, u := range []struct{ id, name string }{{"u-2", "bob"}, {"u-1", "alice"}, {"u-3", "carol"}} {
		if _, err := s.Record(ctx, u.id, u.name, msg.ProvisionCreate, "e-"+u.id, msg.ProvisionReady, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Finish(ctx, "u-3", msg.ProvisionDisabled, "off"); err != nil {
		t.Fatal(err)
	}
	names := func(as []store.Account) (out []string) {
		for _, a := range as {
			out = append(out, a.Username)
		}
		return out
	}
	all, err := s.List(ctx, nil)
	if err != nil || len(all) != 3 || names(all)[0] != "alice" || names(all)[2] != "carol" {
		t.Fatalf("List(all) = %v, %v", names(all), err)
	}
	some, err := s.List(ctx, []string{"u-2", "unknown"})
	if err != nil || len(some) != 1 || some[0].Username != "bob" {
		t.Fatalf("List(u-2, unknown) = %v, %v", names(some), err)
	}
	none, err := s.List(ctx, []string{})
	if err != nil || len(none) != 0 {
		t.Fatalf("List(empty) = %v, %v", names(none), err)
	}
	// Work nobody drives: disabled accounts, and pending ones left alone
	// longer than the limit.
	if _, err := s.Begin(ctx, "u-4", "dave", msg.ProvisionCreate, "e-u-4"); err != nil {
		t.Fatal(err)
	}
	work, err := s.NeedingWork(ctx, time.Hour)
	if err != nil || len(work) != 1 || work[0].UserID != "u-3" {
		t.Fatalf("NeedingWork(1h) = %v, %v; want carol (disabled)", names(work), err)
	}
	testenv.PSQL(t, dsn, "update provisioner.linux_accounts set updated_at = now() - interval '2 hours' where user_id = 'u-4'")
	work, err = s.NeedingWork(ctx, time.Hour)
	if err != nil || len(work) != 2 || work[0].UserID != "u-4" {
		t.Fatalf("NeedingWork(1h) = %v, %v; want dave (stale pending), carol", names(work), err)
	}
}

func TestDeadLetters(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	for i, reason := range []string{"first", "second"} {
		if err := s.AddDeadLetter(ctx, store.DeadLetter{Subject: "evt.user.created", EventID: "e" + reason,
			UserID: "u-1", Username: "alice", Reason: reason, Deliveries: i + 1, StreamSeq: uint64(i), Payload: []byte("{}")}); err != nil {
			t.Fatal(err)
		}
	}
	// The same message again (same subject and stream sequence) is not a
	// new dead letter.
	if err := s.AddDeadLetter(ctx, store.DeadLetter{Subject: "evt.user.created", StreamSeq: 1, Reason: "again", Payload: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	got, err := s.DeadLetters(ctx, 10)
	if err != nil || len(got) != 2 || got[0].Reason != "second" || got[1].Deliveries != 1 {
		t.Fatalf("DeadLetters = %+v, %v", got, err)
	}
	if got, _ := s.DeadLetters(ctx, 1); len(got) != 1 {
		t.Fatalf("DeadLetters(limit 1) gave %d", len(got))
	}
}

// While one holder has a user's lock, nobody else gets it; once released,
// the next does.
func TestLockUserExcludes(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	unlock, err := s.LockUser(ctx, "u-1")
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if u2, err := s.LockUser(short, "u-1"); err == nil {
		u2()
		t.Fatal("took a lock that is held")
	}
	other, err := s.LockUser(ctx, "u-2") // another user is independent
	if err != nil {
		t.Fatal(err)
	}
	other()
	unlock()
	again, err := s.LockUser(ctx, "u-1")
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again()
}
