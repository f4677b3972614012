package images_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/gateway/images"
)

// recorder is the runner side of the API, reduced to what the HTTP
// transport needs: it records what reached it.
type recorder struct{ pulled, removed []string }

func (r *recorder) List(context.Context, msg.ImageListRequest) (msg.ImageList, error) {
	return msg.ImageList{Images: []msg.Image{}}, nil
}

func (r *recorder) Pull(_ context.Context, req msg.ImagePullRequest) (msg.JobStarted, error) {
	r.pulled = append(r.pulled, req.Image)
	return msg.JobStarted{Job: msg.Job{ID: "0123456789abcdef0123456789abcdef", State: msg.JobRunning},
		Status: "/api/v1/jobs/0123456789abcdef0123456789abcdef"}, nil
}

func (r *recorder) Remove(_ context.Context, ref msg.ImageRef) (msg.ImageRemoveResult, error) {
	r.removed = append(r.removed, ref.Ref)
	return msg.ImageRemoveResult{Ref: ref.Ref, Deleted: true}, nil
}

func serve(t *testing.T) (*httptest.Server, *recorder) {
	t.Helper()
	rec := &recorder{}
	r := chi.NewRouter()
	r.Route("/api/v1", func(r chi.Router) { images.Mount(r, rec) })
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv, rec
}

func do(t *testing.T, srv *httptest.Server, method, path, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func TestRemoveTakesEscapedAndPlainReferences(t *testing.T) {
	cases := []struct{ path, want string }{
		{"/api/v1/images/127.0.0.1%3A5000%2Fapp%3A1", "127.0.0.1:5000/app:1"},
		{"/api/v1/images/127.0.0.1:5000/team/app:1", "127.0.0.1:5000/team/app:1"},
		{"/api/v1/images/busybox", "busybox"},
		{"/api/v1/images/app%40sha256%3A" + strings.Repeat("a", 64), "app@sha256:" + strings.Repeat("a", 64)},
	}
	for _, c := range cases {
		srv, rec := serve(t)
		res := do(t, srv, http.MethodDelete, c.path, "")
		if res.StatusCode != http.StatusOK || len(rec.removed) != 1 || rec.removed[0] != c.want {
			t.Errorf("DELETE %s: %d, runner got %q, want %q", c.path, res.StatusCode, rec.removed, c.want)
		}
	}
}

func TestPullAnswersAcceptedWithTheJob(t *testing.T) {
	srv, rec := serve(t)
	res := do(t, srv, http.MethodPost, "/api/v1/images/pull", `{"image":"127.0.0.1:5000/app:1"}`)
	var started msg.JobStarted
	if err := json.NewDecoder(res.Body).Decode(&started); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusAccepted || res.Header.Get("Location") != started.Status || started.Job.ID == "" {
		t.Fatalf("pull: %d, Location %q, %+v", res.StatusCode, res.Header.Get("Location"), started)
	}
	if len(rec.pulled) != 1 || rec.pulled[0] != "127.0.0.1:5000/app:1" {
		t.Errorf("runner got %v", rec.pulled)
	}
}

func TestBadPullsNeverReachTheRunner(t *testing.T) {
	cases := []struct{ name, body, says string }{
		{"unknown field", `{"image":"app:1","imgae":"x"}`, `"imgae"`},
		{"empty", `{"image":""}`, "required"},
		{"spaces", `{"image":"app: 1"}`, "printable"},
		{"too long", `{"image":"` + strings.Repeat("a", images.MaxRef+1) + `"}`, "longer"},
		{"not JSON", `image=app`, "malformed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, rec := serve(t)
			res := do(t, srv, http.MethodPost, "/api/v1/images/pull", c.body)
			var body struct {
				Error struct{ Code, Message string }
			}
			_ = json.NewDecoder(res.Body).Decode(&body)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(body.Error.Message, c.says) {
				t.Errorf("%d %+v, want 400 saying %s", res.StatusCode, body.Error, c.says)
			}
			if len(rec.pulled) != 0 {
				t.Errorf("runner got %v", rec.pulled)
			}
		})
	}
}
