package builds_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/gateway/builds"
)

var alice = identity.Caller{UserID: "u-alice", Username: "alice", Role: identity.RoleUser}

// runner is a stand-in for the runner's build command: it records each
// request and what it finds in the bucket under the named upload.
type runner struct {
	mu      sync.Mutex
	reqs    []msg.BuildRequest
	content [][]byte
	owners  []string
	refuse  *apierr.Error
}

type harness struct {
	srv     *httptest.Server
	js      jetstream.JetStream
	runner  *runner
	maxSize int64
}

func setup(t *testing.T, maxSize int64) *harness {
	t.Helper()
	ns := natstest.Server(t)
	nc := natstest.Connect(t, ns)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{js: js, runner: &runner{}, maxSize: maxSize}
	sub, err := nc.Subscribe(subjects.RunnerRequestSubject(subjects.BuildStart), func(m *nats.Msg) { h.serve(t, m) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	up := builds.NewUploads(js, builds.UploadConfig{MaxBytes: maxSize, TTL: time.Minute})
	r := chi.NewRouter()
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(identity.With(r.Context(), alice)))
		})
	})
	builds.Mount(r, builds.New(nc, up), up.MaxBytes())
	h.srv = httptest.NewServer(r)
	t.Cleanup(h.srv.Close)
	return h
}

func (h *harness) serve(t *testing.T, m *nats.Msg) {
	var req msg.BuildRequest
	_ = json.Unmarshal(m.Data, &req)
	rn := h.runner
	rn.mu.Lock()
	defer rn.mu.Unlock()
	rn.reqs = append(rn.reqs, req)
	if req.Context != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		store, err := h.js.ObjectStore(ctx, msg.ContextsBucket)
		if err == nil {
			info, _ := store.GetInfo(ctx, req.Context)
			b, _ := store.GetBytes(ctx, req.Context)
			rn.content = append(rn.content, b)
			if info != nil {
				rn.owners = append(rn.owners, info.Metadata[msg.ContextOwnerKey])
			}
		}
	}
	reply := msg.Reply[msg.JobStarted]{Data: msg.JobStarted{Job: msg.Job{ID: "0123456789abcdef0123456789abcdef", Kind: msg.JobBuild}}}
	if rn.refuse != nil {
		reply = msg.Reply[msg.JobStarted]{Error: rn.refuse}
	}
	b, _ := json.Marshal(reply)
	_ = m.Respond(b)
}

func (h *harness) post(t *testing.T, path, contentType string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// objects counts what is left in the bucket.
func (h *harness) objects(t *testing.T) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	store, err := h.js.ObjectStore(ctx, msg.ContextsBucket)
	if err != nil {
		return 0
	}
	l, err := store.List(ctx)
	if err != nil {
		return 0 // jetstream.ErrNoObjectsFound
	}
	return len(l)
}

func form(t *testing.T, parts ...[2]string) (string, io.Reader) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, p := range parts {
		w, err := mw.CreateFormField(p[0])
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(p[1]))
	}
	_ = mw.Close()
	return mw.FormDataContentType(), &b
}

func TestUploadsReachTheRunnerAsTheUploadersObject(t *testing.T) {
	tarball := strings.Repeat("t", 600) // stands for a tar; the runner unpacks it
	cases := []struct {
		name        string
		contentType string
		body        func(t *testing.T) (string, io.Reader)
		path        string
		want        msg.BuildRequest
		upload      string
	}{
		{name: "Dockerfile alone", path: "/builds",
			body: func(*testing.T) (string, io.Reader) {
				return "application/json", strings.NewReader(`{"name":"app","dockerfile":"FROM busybox\n","no_cache":true}`)
			},
			want: msg.BuildRequest{Name: "app", Dockerfile: "FROM busybox\n", NoCache: true}},
		{name: "multipart", path: "/builds",
			body: func(t *testing.T) (string, io.Reader) {
				return form(t, [2]string{"request", `{"name":"app","tag":"2","target":"final"}`}, [2]string{"context", tarball})
			},
			want: msg.BuildRequest{Name: "app", Tag: "2", Target: "final"}, upload: tarball},
		{name: "multipart with build secrets", path: "/builds",
			body: func(t *testing.T) (string, io.Reader) {
				return form(t, [2]string{"request", `{"name":"app","secrets":{"npm":"tok","gh":"x\ny"}}`}, [2]string{"context", tarball})
			},
			want: msg.BuildRequest{Name: "app", Secrets: map[string]string{"npm": "tok", "gh": "x\ny"}}, upload: tarball},
		{name: "raw tar, request in the query", path: "/builds?name=app&dockerfile=docker/Dockerfile&build_arg=A=1&build_arg=B=x%3Dy&network=none",
			body:   func(*testing.T) (string, io.Reader) { return "application/x-tar", strings.NewReader(tarball) },
			want:   msg.BuildRequest{Name: "app", DockerfilePath: "docker/Dockerfile", BuildArgs: map[string]string{"A": "1", "B": "x=y"}, Network: "none"},
			upload: tarball},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := setup(t, 1<<10)
			ct, body := c.body(t)
			status, resp := h.post(t, c.path, ct, body)
			if status != http.StatusAccepted || !strings.Contains(resp, `"events":"/api/v1/jobs/0123456789abcdef0123456789abcdef/events"`) {
				t.Fatalf("%d %s", status, resp)
			}
			rn := h.runner
			if len(rn.reqs) != 1 {
				t.Fatalf("runner got %d requests", len(rn.reqs))
			}
			got := rn.reqs[0]
			if (got.Context != "") != (c.upload != "") {
				t.Fatalf("context %q, upload expected %v", got.Context, c.upload != "")
			}
			if c.upload != "" {
				if len(rn.content) != 1 || string(rn.content[0]) != c.upload || rn.owners[0] != alice.UserID {
					t.Errorf("the runner found %d bytes owned by %v", len(rn.content), rn.owners)
				}
			}
			got.Context = ""
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(c.want)
			if string(gj) != string(wj) {
				t.Errorf("runner got %s, want %s", gj, wj)
			}
		})
	}
}

func TestBadBuildRequestsNeverReachTheRunner(t *testing.T) {
	cases := []struct {
		name, path string
		body       func(t *testing.T) (string, io.Reader)
		says       string
	}{
		{"context too large", "/builds?name=app", func(*testing.T) (string, io.Reader) {
			return "application/gzip", strings.NewReader(strings.Repeat("x", 2<<10))
		}, "larger than"},
		{"context before the request", "/builds", func(t *testing.T) (string, io.Reader) {
			return form(t, [2]string{"context", "tar"}, [2]string{"request", `{"name":"app"}`})
		}, `first part of the form must be \"request\"`},
		{"unknown form part", "/builds", func(t *testing.T) (string, io.Reader) {
			return form(t, [2]string{"request", `{"name":"app"}`}, [2]string{"dockerfile", "FROM x"})
		}, "unknown form part"},
		{"misspelt field in the form", "/builds", func(t *testing.T) (string, io.Reader) {
			return form(t, [2]string{"request", `{"name":"app","no_cahce":true}`})
		}, `unknown field \"no_cahce\"`},
		{"unknown query parameter", "/builds?name=app&privileged=true", func(*testing.T) (string, io.Reader) {
			return "application/x-tar", strings.NewReader("tar")
		}, `unknown query parameter \"privileged\"`},
		{"context named in JSON", "/builds", func(*testing.T) (string, io.Reader) {
			return "application/json", strings.NewReader(`{"name":"app","context":"0123456789abcdef0123456789abcdef"}`)
		}, "upload the context"},
		{"bad name", "/builds?name=Bad_Name", func(*testing.T) (string, io.Reader) {
			return "application/x-tar", strings.NewReader("tar")
		}, "Bad_Name"},
		{"unsupported type", "/builds", func(*testing.T) (string, io.Reader) {
			return "text/plain", strings.NewReader("FROM busybox")
		}, "not supported"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := setup(t, 1<<10)
			ct, body := c.body(t)
			status, resp := h.post(t, c.path, ct, body)
			want := http.StatusBadRequest
			if c.name == "context too large" {
				want = http.StatusRequestEntityTooLarge
			}
			if status != want || !strings.Contains(resp, c.says) {
				t.Fatalf("%d %s, want %d saying %s", status, resp, want, c.says)
			}
			if len(h.runner.reqs) != 0 {
				t.Errorf("the runner got %+v", h.runner.reqs)
			}
			if n := h.objects(t); n != 0 {
				t.Errorf("%d uploads left in the bucket", n)
			}
		})
	}
}

// TestRefusedBuildsLeaveNoUpload: when the runner refuses, the gateway
// answers with its error and removes the upload.
func TestRefusedBuildsLeaveNoUpload(t *testing.T) {
	h := setup(t, 1<<10)
	h.runner.refuse = apierr.Policy("no-host-namespaces", "build network host is not allowed")
	status, resp := h.post(t, "/builds?name=app&network=host", "application/x-tar", strings.NewReader("tar"))
	if status != http.StatusForbidden || !strings.Contains(resp, `"rule":"no-host-namespaces"`) {
		t.Fatalf("%d %s", status, resp)
	}
	if n := h.objects(t); n != 0 {
		t.Errorf("%d uploads left in the bucket", n)
	}
}
