package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/gateway/builds"
	"github.com/dockeronline/platform/services/gateway/stacks"
)

type fakeBuilds struct {
	got builds.Request
	err error
}

func (f *fakeBuilds) Build(_ context.Context, req builds.Request) (msg.JobStarted, error) {
	f.got = req
	return msg.JobStarted{Job: msg.Job{ID: "job-1"}}, f.err
}

type fakeStacks struct {
	stacks.Service
	up   msg.StackUpRequest
	down string
	list []msg.Stack
}

func (f *fakeStacks) Up(_ context.Context, req stacks.UpRequest) (msg.JobStarted, error) {
	f.up = req.Stack
	return msg.JobStarted{Job: msg.Job{ID: "job-2"}}, nil
}

func (f *fakeStacks) List(context.Context, msg.StackListRequest) (msg.StackList, error) {
	return msg.StackList{Stacks: f.list}, nil
}

func (f *fakeStacks) Down(_ context.Context, ref msg.StackRef) (msg.StackDownResult, error) {
	f.down = ref.Name
	return msg.StackDownResult{Name: ref.Name}, nil
}

func signedInPost(t *testing.T, path string, form url.Values) *http.Request {
	t.Helper()
	v := viewer{cookie: "sess"}
	v.UserID, v.Username = "u1", "ada"
	req := httptest.NewRequest(http.MethodPost, "http://gw.example"+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req.WithContext(withViewer(t.Context(), v))
}

func TestKeyValueLines(t *testing.T) {
	m, err := keyValueLines("variable", "A=1\n\n# note\n B = x=y \r\nEMPTY=")
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 3 || m["A"] != "1" || m["B"] != " x=y" || m["EMPTY"] != "" {
		t.Errorf("got %q", m)
	}
	if _, err := keyValueLines("variable", "A=1\nnope"); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad line: %v", err)
	}
	if m, _ := keyValueLines("variable", " \n"); m != nil {
		t.Errorf("blank: %q", m)
	}
}

func TestBuildFormStartsAJob(t *testing.T) {
	h := testHandler(t)
	fb := &fakeBuilds{}
	h.builds = fb
	rec := httptest.NewRecorder()
	h.startBuild(rec, signedInPost(t, "/builds", url.Values{"name": {"app"}, "dockerfile": {"FROM busybox\n"}, "build_args": {"V=2"}, "target": {"final"}, "no_cache": {"on"}}))
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/builds?image=app%3Alatest&job=job-1" {
		t.Fatalf("status %d, Location %q\n%s", rec.Code, rec.Header().Get("Location"), rec.Body.String())
	}
	b := fb.got.Build
	if b.Name != "app" || b.Tag != "latest" || b.Dockerfile != "FROM busybox\n" || b.BuildArgs["V"] != "2" || b.Target != "final" || !b.NoCache || fb.got.Context != nil {
		t.Errorf("build request %+v", b)
	}

	// A refused build shows the form again, as typed, with Docker's words.
	fb.err = &apierr.Error{Code: apierr.CodeInvalid, Message: "the build failed", Docker: "Step 2/2 : RUN false\nreturned a non-zero code: 1"}
	rec = httptest.NewRecorder()
	h.startBuild(rec, signedInPost(t, "/builds", url.Values{"name": {"app"}, "tag": {"v1"}, "dockerfile": {"FROM busybox\nRUN false"}}))
	body := rec.Body.String()
	for _, w := range []string{"the build failed", `<pre class="docker">Step 2/2 : RUN false`, `value="v1"`, "RUN false</textarea>", `name="_csrf"`} {
		if !strings.Contains(body, w) {
			t.Errorf("refused build page lacks %q", w)
		}
	}

	// Secrets reach the service, and are never shown again nor quoted.
	fb.got, fb.err = builds.Request{}, nil
	rec = httptest.NewRecorder()
	h.startBuild(rec, signedInPost(t, "/builds", url.Values{"name": {"app"}, "dockerfile": {"FROM busybox\n"}, "secrets": {"npm=tok-123\n# c\ngh = x=y"}}))
	if got := fb.got.Build.Secrets; rec.Code != http.StatusSeeOther || got["npm"] != "tok-123" || got["gh"] != " x=y" || len(got) != 2 {
		t.Errorf("secrets: status %d, got %q", rec.Code, got)
	}
	fb.err = &apierr.Error{Code: apierr.CodeInvalid, Message: "the build failed"}
	rec = httptest.NewRecorder()
	h.startBuild(rec, signedInPost(t, "/builds", url.Values{"name": {"app"}, "dockerfile": {"FROM busybox\n"}, "secrets": {"npm=tok-456"}}))
	if strings.Contains(rec.Body.String(), "tok-456") {
		t.Errorf("a refused build page shows the secret")
	}
	fb.got, fb.err = builds.Request{}, nil
	rec = httptest.NewRecorder()
	h.startBuild(rec, signedInPost(t, "/builds", url.Values{"name": {"app"}, "dockerfile": {"FROM busybox\n"}, "secrets": {"ok=1\nghp_pastedtoken"}}))
	if body := rec.Body.String(); rec.Code != http.StatusBadRequest || fb.got.Build.Name != "" || strings.Contains(body, "ghp_pastedtoken") || !strings.Contains(body, "line 2") {
		t.Errorf("bad secret line: status %d, request %+v", rec.Code, fb.got)
	}

	// Malformed build arguments never reach the service.
	fb.got = builds.Request{}
	rec = httptest.NewRecorder()
	h.startBuild(rec, signedInPost(t, "/builds", url.Values{"name": {"app"}, "dockerfile": {"FROM busybox"}, "build_args": {"oops"}}))
	if rec.Code != http.StatusBadRequest || fb.got.Build.Name != "" || !strings.Contains(rec.Body.String(), "not KEY=VALUE") {
		t.Errorf("bad args: status %d, request %+v", rec.Code, fb.got)
	}
}

func TestBuildPageFollowsTheJob(t *testing.T) {
	h := testHandler(t)
	v := viewer{cookie: "sess"}
	v.UserID, v.Username = "u1", "ada"
	req := httptest.NewRequest(http.MethodGet, "http://gw.example/builds?job=job-1&image=app:latest", nil).WithContext(withViewer(t.Context(), v))
	rec := httptest.NewRecorder()
	h.buildsPage(rec, req)
	body := rec.Body.String()
	for _, w := range []string{`data-build-job="/api/v1/jobs/job-1/events"`, "Building <span class=\"mono\">app:latest</span>", `name="dockerfile"`, `action="/builds"`, `name="_csrf" value="`} {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	if strings.Contains(body, "Coming soon") {
		t.Error("still the placeholder")
	}
}

func TestStacksPage(t *testing.T) {
	h := testHandler(t)
	fs := &fakeStacks{list: []msg.Stack{{Name: "shop", Status: "running", Services: []msg.StackService{{Name: "web", Image: "nginx", State: "running",
		Containers: []msg.StackContainer{{Name: "shop-web", State: "running", Status: "Up 1 minute", Links: []string{"http://shop-web--ada.apps.localhost:8000/"}}}}}}}}
	h.stacks = fs
	v := viewer{cookie: "sess"}
	v.UserID, v.Username = "u1", "ada"
	req := httptest.NewRequest(http.MethodGet, "http://gw.example/stacks?job=job-2&stack=shop", nil).WithContext(withViewer(t.Context(), v))
	rec := httptest.NewRecorder()
	h.stacksPage(rec, req)
	body := rec.Body.String()
	for _, w := range []string{`data-stack-job="/api/v1/jobs/job-2/events"`, `data-stack="shop"`, `data-service="web" data-state="running"`, `href="/containers/shop-web"`,
		"http://shop-web--ada.apps.localhost:8000/", `action="/stacks/down"`, `data-confirm="Take stack shop down?`, `name="compose"`, `data-refresh="/fragments/stacks"`} {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}

	rec = httptest.NewRecorder()
	h.deployStack(rec, signedInPost(t, "/stacks", url.Values{"name": {"shop"}, "compose": {"services: {}"}, "env": {"TAG=1"}}))
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/stacks?job=job-2&stack=shop" || fs.up.Env["TAG"] != "1" || fs.up.Compose != "services: {}" {
		t.Errorf("deploy: status %d, Location %q, request %+v", rec.Code, rec.Header().Get("Location"), fs.up)
	}

	// Down asks first, then acts.
	rec = httptest.NewRecorder()
	h.downStack(rec, signedInPost(t, "/stacks/down", url.Values{"name": {"shop"}}))
	if fs.down != "" || !strings.Contains(rec.Body.String(), `name="confirmed" value="yes"`) {
		t.Fatalf("down without confirmation: %q", fs.down)
	}
	rec = httptest.NewRecorder()
	h.downStack(rec, signedInPost(t, "/stacks/down", url.Values{"name": {"shop"}, "confirmed": {"yes"}}))
	if rec.Code != http.StatusSeeOther || fs.down != "shop" {
		t.Errorf("down: status %d, took down %q", rec.Code, fs.down)
	}
}
