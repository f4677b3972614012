package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dockeronline/platform/e2e/stack"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/registrytest"
	"github.com/dockeronline/platform/pkg/subjects"
	gwjobs "github.com/dockeronline/platform/services/gateway/jobs"
)

// imageView is an image as GET /api/v1/images shows it.
type imageView struct {
	ID         string   `json:"id"`
	Tags       []string `json:"tags"`
	Pulled     []string `json:"pulled"`
	Containers []string `json:"containers"`
}

// TestImages: an image pushed to a real registry is pulled through the API
// as a job whose per-layer progress arrives as server-sent events (a reload
// replays it all); the user sees the image, runs a container from it,
// cannot remove it while the container uses it (Docker's words), removes
// it after. Another user sees none of it. Failed pulls quote Docker.
func TestImages(t *testing.T) {
	s := stack.Start(t)
	reg := registrytest.Start(t)
	natstest.WaitServing(t, s.NATSURL, subjects.RunnerRequestSubject(subjects.ImageList), msg.ImageListRequest{})
	a := s.Register(t, stack.UniqueName("alice"))
	b := s.Register(t, stack.UniqueName("bob"))

	// Two fresh 1 MiB layers on busybox, only in the registry.
	src := registrytest.BuildLayered(t, s.Docker, "dockeronline-test/e2e-src-"+stack.UniqueName("")+":1", 2, 1<<20)
	ref := reg.Push(t, s.Docker, src, "e2e/app-"+stack.UniqueName("")+":1")
	registrytest.RemoveLocal(t, s.Docker, ref)
	registrytest.RemoveLocal(t, s.Docker, src)
	t.Cleanup(func() { registrytest.RemoveLocal(t, s.Docker, ref) })

	started := pullImage(t, s, a.Token, ref)
	evs := jobEvents(t, s, a.Token, started.Events, "")
	layers, sized := map[string]bool{}, false
	for _, ev := range evs[:len(evs)-1] {
		var je msg.JobEvent
		var p msg.LayerProgress
		if ev.Event != "progress" || json.Unmarshal([]byte(ev.Data), &je) != nil || json.Unmarshal(je.Progress, &p) != nil {
			t.Fatalf("unexpected event %+v", ev)
		}
		if p.Status == "Pull complete" {
			layers[p.ID] = true
		}
		sized = sized || (p.Current > 0 && p.Total > 0)
	}
	if len(layers) < 2 || !sized {
		t.Errorf("per-layer progress: completed layers %v, byte counts seen %v, in %d events", layers, sized, len(evs))
	}
	var done msg.JobEvent
	if last := evs[len(evs)-1]; last.Event != "done" || json.Unmarshal([]byte(last.Data), &done) != nil {
		t.Fatalf("last event %+v", last)
	}
	var res msg.ImagePullResult
	if json.Unmarshal(done.Result, &res) != nil || res.Image != ref || res.ID == "" {
		t.Fatalf("pull result %s", done.Result)
	}

	// A reload replays the whole history, ids and all.
	again := jobEvents(t, s, a.Token, started.Events, "")
	if len(again) != len(evs) || again[0].ID != evs[0].ID || again[len(again)-1].Event != "done" {
		t.Errorf("reload got %d events (first id %s), first time %d (first id %s)", len(again), again[0].ID, len(evs), evs[0].ID)
	}
	// A reconnecting EventSource resumes after the last id it saw.
	if rest := jobEvents(t, s, a.Token, started.Events, evs[len(evs)-3].ID); len(rest) != 2 || rest[0].ID != evs[len(evs)-2].ID {
		t.Errorf("resumed after id %s: %+v", evs[len(evs)-3].ID, rest)
	}
	// The final event is stored before the final state (pkg/jobs: a reader
	// that sees the state can count on the event), so the state may lag
	// the event by a moment.
	var state msg.Job
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := s.Call(t, a.Token, http.MethodGet, started.Status, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("job state: %d %s", r.Status, r.Body)
		}
		r.JSON(t, &state)
		if state.State != msg.JobRunning || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if state.State != msg.JobDone || state.Kind != msg.JobImagePull || state.Target != ref {
		t.Errorf("job state %+v", state)
	}
	// Another user cannot read the job at all.
	for _, path := range []string{started.Status, started.Events} {
		if r := s.Call(t, b.Token, http.MethodGet, path, nil); r.Status != http.StatusNotFound {
			t.Errorf("bob GET %s: %d, want 404", path, r.Status)
		}
	}

	if im, ok := listed(t, s, a.Token, ref); !ok || im.ID != res.ID {
		t.Fatalf("alice's images lack %s", ref)
	}
	if _, ok := listed(t, s, b.Token, ref); ok {
		t.Fatalf("bob sees alice's image %s", ref)
	}

	// In use: the remove is refused with Docker's own text.
	if r := s.Call(t, a.Token, http.MethodPost, "/api/v1/containers", map[string]any{
		"name": "pulled", "image": ref, "cmd": []string{"sleep", "3600"},
	}); r.Status != http.StatusCreated {
		t.Fatalf("run %s: %d %s", ref, r.Status, r.Body)
	}
	imgPath := "/api/v1/images/" + url.PathEscape(ref)
	if r := s.Call(t, b.Token, http.MethodDelete, imgPath, nil); r.Status != http.StatusNotFound {
		t.Errorf("bob removes alice's image: %d %s, want 404", r.Status, r.Body)
	}
	r := s.Call(t, a.Token, http.MethodDelete, imgPath, nil)
	if e := r.Err(t); r.Status != http.StatusConflict || !strings.Contains(e.Docker, "is using its referenced image") {
		t.Fatalf("remove in use: %d %s, want 409 quoting Docker", r.Status, r.Body)
	}
	if im, ok := listed(t, s, a.Token, ref); !ok || len(im.Containers) != 1 || im.Containers[0] != "pulled" {
		t.Errorf("after the refused remove: %+v (listed %v)", im, ok)
	}
	if r := s.Call(t, a.Token, http.MethodDelete, "/api/v1/containers/pulled?force=true", nil); r.Status != http.StatusNoContent {
		t.Fatalf("remove container: %d %s", r.Status, r.Body)
	}
	var removed msg.ImageRemoveResult
	if r := s.Call(t, a.Token, http.MethodDelete, imgPath, nil); r.Status != http.StatusOK {
		t.Fatalf("remove: %d %s", r.Status, r.Body)
	} else if r.JSON(t, &removed); !removed.Deleted || removed.Ref != ref {
		t.Errorf("remove result %+v", removed)
	}
	if _, ok := listed(t, s, a.Token, ref); ok {
		t.Errorf("%s still listed after its removal", ref)
	}
	if _, err := s.Docker.ImageInspect(context.Background(), ref); err == nil {
		t.Errorf("%s is still on the Docker host", ref)
	}

	// A tag the registry does not have: the job fails with Docker's text.
	missing := reg.Ref("e2e/none:nope")
	failed := pullImage(t, s, a.Token, missing)
	fevs := jobEvents(t, s, a.Token, failed.Events, "")
	var fe msg.JobEvent
	if last := fevs[len(fevs)-1]; last.Event != "error" || json.Unmarshal([]byte(last.Data), &fe) != nil || fe.Error == nil {
		t.Fatalf("failed pull ended with %+v", last)
	}
	if fe.Error.Code != "not_found" || !strings.Contains(fe.Error.Docker, "manifest unknown") {
		t.Errorf("failed pull error %+v, want not_found quoting Docker", fe.Error)
	}

	// A malformed reference is refused at once, in Docker's parser's words.
	if r := s.Call(t, a.Token, http.MethodPost, "/api/v1/images/pull", map[string]string{"image": "Not/Valid:ref"}); r.Status != http.StatusBadRequest || !strings.Contains(r.Err(t).Docker, "invalid reference format") {
		t.Errorf("malformed reference: %d %s, want 400 quoting Docker", r.Status, r.Body)
	}
}

// pullImage starts a pull and returns the accepted job.
func pullImage(t *testing.T, s *stack.Stack, token, ref string) msg.JobStarted {
	t.Helper()
	r := s.Call(t, token, http.MethodPost, "/api/v1/images/pull", map[string]string{"image": ref})
	if r.Status != http.StatusAccepted {
		t.Fatalf("pull %s: %d %s", ref, r.Status, r.Body)
	}
	var started msg.JobStarted
	r.JSON(t, &started)
	if started.Job.ID == "" || started.Events != "/api/v1/jobs/"+started.Job.ID+"/events" {
		t.Fatalf("pull accepted %+v", started)
	}
	return started
}

// jobEvents reads a job's server-sent events as a browser would, over
// real HTTP, until the stream ends (after the final event).
func jobEvents(t *testing.T, s *stack.Stack, token, path, lastID string) []gwjobs.SSEEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.GatewayURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	var evs []gwjobs.SSEEvent
	for ev, err := range gwjobs.ReadSSE(res.Body) {
		if err != nil {
			t.Fatalf("reading %s: %v", path, err)
		}
		evs = append(evs, ev)
	}
	if len(evs) == 0 || (evs[len(evs)-1].Event != "done" && evs[len(evs)-1].Event != "error") {
		t.Fatalf("GET %s ended without a final event: %+v", path, evs)
	}
	return evs
}

// listed finds ref in the user's image list.
func listed(t *testing.T, s *stack.Stack, token, ref string) (imageView, bool) {
	t.Helper()
	r := s.Call(t, token, http.MethodGet, "/api/v1/images", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list images: %d %s", r.Status, r.Body)
	}
	var l struct {
		Images []imageView `json:"images"`
	}
	r.JSON(t, &l)
	for _, im := range l.Images {
		for _, tag := range im.Tags {
			if tag == ref {
				return im, true
			}
		}
	}
	return imageView{}, false
}
