package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/jobs"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/subjects"
)

var (
	alice = identity.Caller{UserID: "u-alice", Username: "alice", Role: identity.RoleUser}
	bob   = identity.Caller{UserID: "u-bob", Username: "bob", Role: identity.RoleUser}
	root  = identity.Caller{UserID: "u-root", Username: "root", Role: identity.RoleAdmin}
)

func jetStream(t *testing.T) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(natstest.Connect(t, natstest.Server(t)))
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func timeout(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// collect reads a watch to its end.
func collect(t *testing.T, ch <-chan msg.JobEvent) []msg.JobEvent {
	t.Helper()
	var evs []msg.JobEvent
	for ev := range ch {
		evs = append(evs, ev)
	}
	return evs
}

func progressOf(t *testing.T, ev msg.JobEvent) msg.LayerProgress {
	t.Helper()
	var p msg.LayerProgress
	if err := json.Unmarshal(ev.Progress, &p); err != nil {
		t.Fatalf("progress %s: %v", ev.Progress, err)
	}
	return p
}

func TestJobHistoryIsReplayedToEveryReader(t *testing.T) {
	ctx, js := timeout(t), jetStream(t)
	job, err := jobs.Start(ctx, js, msg.JobImagePull, alice, jobs.Target("example/app:1"))
	if err != nil {
		t.Fatal(err)
	}
	if !jobs.ValidID(job.ID()) {
		t.Fatalf("id %q is not a valid job id", job.ID())
	}
	got, err := jobs.Get(ctx, js, job.ID())
	if err != nil || got.State != msg.JobRunning || got.Owner != alice.UserID || got.Target != "example/app:1" || got.Kind != msg.JobImagePull {
		t.Fatalf("running job = %+v, %v", got, err)
	}

	// A reader that is there from the start sees the events live.
	live, err := jobs.Watch(ctx, js, job.ID())
	if err != nil {
		t.Fatal(err)
	}
	steps := []msg.LayerProgress{{ID: "a", Status: "Downloading", Current: 1, Total: 2}, {ID: "a", Status: "Pull complete"}, {ID: "b", Status: "Pull complete"}}
	for _, p := range steps {
		if err := job.Progress(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := job.Done(msg.ImagePullResult{Image: "example/app:1", ID: "sha256:1"}); err != nil {
		t.Fatal(err)
	}
	if err := job.Progress(steps[0]); !errors.Is(err, jobs.ErrEnded) {
		t.Errorf("progress after done: %v, want ErrEnded", err)
	}
	if err := job.Fail(apierr.Invalid("late")); !errors.Is(err, jobs.ErrEnded) {
		t.Errorf("fail after done: %v, want ErrEnded", err)
	}

	first := collect(t, live)
	// Late readers (a reload) get exactly the same history.
	late, err := jobs.Watch(ctx, js, job.ID())
	if err != nil {
		t.Fatal(err)
	}
	second := collect(t, late)
	for _, evs := range [][]msg.JobEvent{first, second} {
		if len(evs) != len(steps)+1 {
			t.Fatalf("got %d events, want %d: %+v", len(evs), len(steps)+1, evs)
		}
		for i, p := range steps {
			if evs[i].Type != msg.JobEventProgress || progressOf(t, evs[i]) != p || evs[i].Job != job.ID() {
				t.Errorf("event %d = %+v, want progress %+v", i, evs[i], p)
			}
			if i > 0 && evs[i].Seq <= evs[i-1].Seq {
				t.Errorf("sequence not increasing: %d then %d", evs[i-1].Seq, evs[i].Seq)
			}
		}
		last := evs[len(evs)-1]
		var res msg.ImagePullResult
		if last.Type != msg.JobEventDone || json.Unmarshal(last.Result, &res) != nil || res.ID != "sha256:1" {
			t.Errorf("last event = %+v, want done with the result", last)
		}
	}

	// A reconnecting reader resumes after the last event it saw.
	resumed, err := jobs.Watch(ctx, js, job.ID(), jobs.After(first[1].Seq))
	if err != nil {
		t.Fatal(err)
	}
	rest := collect(t, resumed)
	if len(rest) != 2 || rest[0].Seq != first[2].Seq || rest[1].Type != msg.JobEventDone {
		t.Errorf("resumed after seq %d: %+v", first[1].Seq, rest)
	}

	if last, err := jobs.LastSeq(ctx, js, job.ID()); err != nil || last != first[len(first)-1].Seq {
		t.Errorf("LastSeq = %d, %v; want the done event's %d", last, err, first[len(first)-1].Seq)
	}

	got, err = jobs.Get(ctx, js, job.ID())
	if err != nil || got.State != msg.JobDone || len(got.Result) == 0 || got.Error != nil {
		t.Fatalf("done job = %+v, %v", got, err)
	}
}

func TestFailedJobCarriesItsError(t *testing.T) {
	ctx, js := timeout(t), jetStream(t)
	job, err := jobs.Start(ctx, js, msg.JobImagePull, alice)
	if err != nil {
		t.Fatal(err)
	}
	docker := "manifest for example/app:nope not found: manifest unknown: manifest unknown"
	if err := job.Fail(apierr.NotFound("image not found").WithDocker(docker)); err != nil {
		t.Fatal(err)
	}
	if err := job.Done(nil); !errors.Is(err, jobs.ErrEnded) {
		t.Errorf("done after fail: %v, want ErrEnded", err)
	}
	w, err := jobs.Watch(ctx, js, job.ID())
	if err != nil {
		t.Fatal(err)
	}
	evs := collect(t, w)
	if len(evs) != 1 || evs[0].Type != msg.JobEventError || evs[0].Error == nil || evs[0].Error.Docker != docker || evs[0].Error.Code != apierr.CodeNotFound {
		t.Fatalf("events = %+v", evs)
	}
	got, err := jobs.Get(ctx, js, job.ID())
	if err != nil || got.State != msg.JobFailed || got.Error == nil || got.Error.Docker != docker {
		t.Fatalf("failed job = %+v, %v", got, err)
	}
}

func TestOnlyTheOwnerAndAdminsMayReadAJob(t *testing.T) {
	j := msg.Job{ID: "0123456789abcdef0123456789abcdef", Owner: alice.UserID}
	cases := []struct {
		name   string
		caller identity.Caller
		ok     bool
	}{
		{"owner", alice, true},
		{"admin", root, true},
		{"another user", bob, false},
		{"nobody", identity.Caller{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := jobs.Authorize(j, c.caller)
			if c.ok != (err == nil) {
				t.Fatalf("Authorize = %v, want ok=%v", err, c.ok)
			}
			if err != nil && apierr.From(err).Code != apierr.CodeNotFound {
				t.Errorf("refusal %v is not a plain not-found", err)
			}
		})
	}
}

func TestMalformedAndUnknownIDsAreNotFound(t *testing.T) {
	ctx, js := timeout(t), jetStream(t)
	// Before any job exists (no bucket, no stream) and after.
	for _, phase := range []string{"empty", "after a job"} {
		if phase == "after a job" {
			if _, err := jobs.Start(ctx, js, msg.JobBuild, alice); err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range []string{"", "*", ">", "a.b", "0123456789abcdef0123456789abcde*", "0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef0123456789abcdef"} {
			if _, err := jobs.Get(ctx, js, id); apierr.From(err) == nil || apierr.From(err).Code != apierr.CodeNotFound {
				t.Errorf("%s: Get(%q) = %v, want not found", phase, id, err)
			}
			if id == "0123456789abcdef0123456789abcdef" && phase == "after a job" {
				continue // well-formed: Watch may follow a job that is yet to come
			}
			if _, err := jobs.Watch(ctx, js, id); apierr.From(err) == nil || apierr.From(err).Code != apierr.CodeNotFound {
				t.Errorf("%s: Watch(%q) = %v, want not found", phase, id, err)
			}
		}
	}
}

func TestALostJobIsReportedFailed(t *testing.T) {
	ctx, js := timeout(t), jetStream(t)
	if err := jobs.Ensure(ctx, js); err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, subjects.JobsBucket)
	if err != nil {
		t.Fatal(err)
	}
	// A runner that died mid-job leaves a running record nobody refreshes.
	id := "00000000000000000000000000000001"
	old := time.Now().Add(-2 * jobs.StaleAfter).UTC()
	body, _ := json.Marshal(msg.Job{ID: id, Kind: msg.JobImagePull, Owner: alice.UserID, State: msg.JobRunning, Created: old, Updated: old})
	if _, err := kv.Put(ctx, id, body); err != nil {
		t.Fatal(err)
	}
	got, err := jobs.Get(ctx, js, id)
	if err != nil || got.State != msg.JobFailed || got.Error == nil || got.Error.Code != apierr.CodeUnavailable {
		t.Fatalf("lost job = %+v, %v", got, err)
	}
	w, err := jobs.Watch(ctx, js, id, jobs.CheckEvery(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	evs := collect(t, w)
	if len(evs) != 1 || evs[0].Type != msg.JobEventError || evs[0].Error.Code != apierr.CodeUnavailable {
		t.Fatalf("watching a lost job: %+v", evs)
	}
}

func TestWatchEndsWithItsContext(t *testing.T) {
	ctx, js := timeout(t), jetStream(t)
	job, err := jobs.Start(ctx, js, msg.JobImagePull, alice)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = job.Done(nil) })
	wctx, cancel := context.WithCancel(ctx)
	w, err := jobs.Watch(wctx, js, job.ID())
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Progress(msg.LayerProgress{Status: "Pulling"}); err != nil {
		t.Fatal(err)
	}
	if ev := <-w; ev.Type != msg.JobEventProgress {
		t.Fatalf("first event %+v", ev)
	}
	cancel()
	for range w { // must close: a watch that never ends would leak per browser tab
	}
}

func TestThrottleKeepsEveryStatusChange(t *testing.T) {
	now := time.Unix(1000, 0)
	th := jobs.NewThrottle(100 * time.Millisecond)
	th.Now = func() time.Time { return now }
	steps := []struct {
		advance     time.Duration
		key, status string
		want        bool
	}{
		{0, "a", "Downloading", true},
		{10 * time.Millisecond, "a", "Downloading", false}, // too soon
		{10 * time.Millisecond, "b", "Downloading", true},  // another layer
		{50 * time.Millisecond, "a", "Downloading", false},
		{50 * time.Millisecond, "a", "Downloading", true}, // 110ms after the first
		{time.Millisecond, "a", "Download complete", true},
		{time.Millisecond, "a", "Extracting", true},
		{time.Millisecond, "a", "Extracting", false},
		{time.Millisecond, "a", "Pull complete", true},
		{time.Millisecond, "a", "Pull complete", false},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		if got := th.Allow(s.key, s.status); got != s.want {
			t.Errorf("step %d (%s %s): Allow = %v, want %v", i, s.key, s.status, got, s.want)
		}
	}
}
