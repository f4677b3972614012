package jobs_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/identity"
	pkgjobs "github.com/dockeronline/platform/pkg/jobs"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/services/gateway/httpx"
	"github.com/dockeronline/platform/services/gateway/jobs"
)

var users = map[string]identity.Caller{
	"alice": {UserID: "u-alice", Username: "alice", Role: identity.RoleUser},
	"bob":   {UserID: "u-bob", Username: "bob", Role: identity.RoleUser},
	"root":  {UserID: "u-root", Username: "root", Role: identity.RoleAdmin},
}

// server serves the job routes behind a stand-in for authn that takes the
// caller from a test header (authentication itself is tested elsewhere).
func server(t *testing.T) (*httptest.Server, jetstream.JetStream) {
	t.Helper()
	js, err := jetstream.New(natstest.Connect(t, natstest.Server(t)))
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, ok := users[r.Header.Get("X-Test-User")]
			if !ok {
				httpx.WriteError(w, identity.ErrNoCaller)
				return
			}
			next.ServeHTTP(w, r.WithContext(identity.With(r.Context(), c)))
		})
	})
	jobs.Mount(r, jobs.New(js))
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv, js
}

func get(t *testing.T, srv *httptest.Server, user, path string, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Test-User", user)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

// events reads a whole event stream.
func events(t *testing.T, res *http.Response) []jobs.SSEEvent {
	t.Helper()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("event stream answered %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var out []jobs.SSEEvent
	for ev, err := range jobs.ReadSSE(res.Body) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

func finishedJob(t *testing.T, js jetstream.JetStream) *pkgjobs.Job {
	t.Helper()
	job, err := pkgjobs.Start(context.Background(), js, msg.JobImagePull, users["alice"])
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Downloading", "Pull complete"} {
		if err := job.Progress(msg.LayerProgress{ID: "l1", Status: s}); err != nil {
			t.Fatal(err)
		}
	}
	if err := job.Done(msg.ImagePullResult{Image: "app:1"}); err != nil {
		t.Fatal(err)
	}
	return job
}

func TestJobStateIsTheOwnersAndAdmins(t *testing.T) {
	srv, js := server(t)
	job := finishedJob(t, js)
	cases := []struct {
		user, id string
		status   int
	}{
		{"alice", job.ID(), http.StatusOK},
		{"root", job.ID(), http.StatusOK},
		{"bob", job.ID(), http.StatusNotFound},
		{"alice", "00000000000000000000000000000000", http.StatusNotFound},
		{"alice", "..", http.StatusNotFound},
		{"alice", "%2A", http.StatusNotFound},
	}
	for _, c := range cases {
		for _, suffix := range []string{"", "/events"} {
			res := get(t, srv, c.user, "/jobs/"+c.id+suffix)
			if res.StatusCode != c.status {
				t.Errorf("%s GET /jobs/%s%s: %d, want %d", c.user, c.id, suffix, res.StatusCode, c.status)
			}
		}
	}
	var j msg.Job
	if err := json.NewDecoder(get(t, srv, "alice", "/jobs/"+job.ID()).Body).Decode(&j); err != nil {
		t.Fatal(err)
	}
	if j.ID != job.ID() || j.State != msg.JobDone || j.Owner != "u-alice" {
		t.Errorf("state %+v", j)
	}
}

func TestEventsReplayResumeAndEnd(t *testing.T) {
	srv, js := server(t)
	job := finishedJob(t, js)

	all := events(t, get(t, srv, "alice", "/jobs/"+job.ID()+"/events"))
	want := []string{"progress", "progress", "done"}
	if len(all) != len(want) {
		t.Fatalf("events %+v, want %v", all, want)
	}
	for i, ev := range all {
		var je msg.JobEvent
		if ev.Event != want[i] || json.Unmarshal([]byte(ev.Data), &je) != nil || je.Job != job.ID() || strconv.FormatUint(je.Seq, 10) != ev.ID {
			t.Errorf("event %d = %+v, want %s with its seq as id", i, ev, want[i])
		}
	}
	// A reload replays the same history.
	if again := events(t, get(t, srv, "alice", "/jobs/"+job.ID()+"/events")); len(again) != len(all) || again[2].ID != all[2].ID {
		t.Errorf("replay %+v", again)
	}
	// A reconnecting EventSource resumes after its last id…
	rest := events(t, get(t, srv, "alice", "/jobs/"+job.ID()+"/events", "Last-Event-ID", all[0].ID))
	if len(rest) != 2 || rest[0].ID != all[1].ID || rest[1].Event != "done" {
		t.Errorf("resumed after %s: %+v", all[0].ID, rest)
	}
	// …and is told to stop once it has seen the end.
	if res := get(t, srv, "alice", "/jobs/"+job.ID()+"/events", "Last-Event-ID", all[2].ID); res.StatusCode != http.StatusNoContent {
		t.Errorf("after the end: %d, want 204", res.StatusCode)
	}
	if res := get(t, srv, "alice", "/jobs/"+job.ID()+"/events?after=x"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("bad resume id: %d, want 400", res.StatusCode)
	}
}

func TestEventsFollowARunningJob(t *testing.T) {
	srv, js := server(t)
	job, err := pkgjobs.Start(context.Background(), js, msg.JobImagePull, users["alice"])
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Progress(msg.LayerProgress{ID: "l1", Status: "Waiting"}); err != nil {
		t.Fatal(err)
	}
	res := get(t, srv, "alice", "/jobs/"+job.ID()+"/events")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	next, stop := iterPull(jobs.ReadSSE(res.Body))
	defer stop()
	if ev, ok := next(); !ok || ev.Event != "progress" {
		t.Fatalf("first event %+v", ev)
	}
	// Published after the reader connected: it arrives live.
	if err := job.Progress(msg.LayerProgress{ID: "l1", Status: "Downloading", Current: 5, Total: 10}); err != nil {
		t.Fatal(err)
	}
	ev, ok := next()
	var je msg.JobEvent
	var p msg.LayerProgress
	if !ok || ev.Event != "progress" || json.Unmarshal([]byte(ev.Data), &je) != nil || json.Unmarshal(je.Progress, &p) != nil || p.Current != 5 || p.Total != 10 {
		t.Fatalf("live event %+v", ev)
	}
	if err := job.Fail(nil); err != nil {
		t.Fatal(err)
	}
	if ev, ok := next(); !ok || ev.Event != "error" {
		t.Fatalf("final event %+v", ev)
	}
	if ev, ok := next(); ok {
		t.Fatalf("stream went on after the end: %+v", ev)
	}
}

// iterPull is iter.Pull for a Seq2 whose errors fail nothing here.
func iterPull(seq func(func(jobs.SSEEvent, error) bool)) (func() (jobs.SSEEvent, bool), func()) {
	ch := make(chan jobs.SSEEvent)
	done := make(chan struct{})
	go func() {
		defer close(ch)
		for ev, err := range seq {
			if err != nil {
				return
			}
			select {
			case ch <- ev:
			case <-done:
				return
			}
		}
	}()
	next := func() (jobs.SSEEvent, bool) {
		select {
		case ev, ok := <-ch:
			return ev, ok
		case <-time.After(time.Minute):
			return jobs.SSEEvent{}, false
		}
	}
	return next, func() { close(done) }
}
