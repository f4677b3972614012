package stacks_test

import (
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/gateway/stacks"
)

// fake is the runner side, reduced to what the transport needs.
type fake struct {
	stack msg.Stack
	refs  []msg.StackRef
	vars  []msg.StackVariablesRequest
	ctx   []string // the uploaded project each variables call carried
}

func (f *fake) Up(context.Context, stacks.UpRequest) (msg.JobStarted, error) {
	return msg.JobStarted{}, nil
}
func (f *fake) List(context.Context, msg.StackListRequest) (msg.StackList, error) {
	return msg.StackList{}, nil
}
func (f *fake) Get(_ context.Context, ref msg.StackRef) (msg.Stack, error) {
	f.refs = append(f.refs, ref)
	if ref.Name != f.stack.Name {
		return msg.Stack{}, apierr.NotFound("stack %q not found", ref.Name)
	}
	return f.stack, nil
}
func (f *fake) Down(_ context.Context, ref msg.StackRef) (msg.StackDownResult, error) {
	f.refs = append(f.refs, ref)
	return msg.StackDownResult{Name: ref.Name}, nil
}
func (f *fake) Restart(context.Context, msg.StackRef) (msg.Stack, error) { return f.stack, nil }
func (f *fake) Variables(_ context.Context, req stacks.VariablesRequest) (msg.StackVariables, error) {
	f.vars = append(f.vars, req.Vars)
	project := ""
	if req.Context != nil {
		b, _ := io.ReadAll(req.Context)
		project = string(b)
	}
	f.ctx = append(f.ctx, project)
	return msg.StackVariables{Variables: []msg.StackVariable{{Name: "TAG", Used: []string{"services.web.image"}}}}, nil
}

func shop() msg.Stack {
	return msg.Stack{Name: "shop", Username: "alice", Services: []msg.StackService{
		{Name: "web", Containers: []msg.StackContainer{{Name: "shop-web", State: "running"}}},
		{Name: "worker", Containers: []msg.StackContainer{{Name: "shop-worker", State: "running"}, {Name: "shop-worker-2", State: "running"}}},
	}}
}

// TestServiceLogsGoToTheContainerLogs: a service's logs are the container
// logs route's, for the service's container, with the query passed on.
func TestServiceLogsGoToTheContainerLogs(t *testing.T) {
	var gotPath, gotQuery string
	logsRoute := chi.NewRouter()
	logsRoute.Get("/containers/{name}/logs", func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotQuery = "/containers/"+chi.URLParam(r, "name")+"/logs", r.URL.RawQuery
		_, _ = io.WriteString(w, "log lines")
	})
	f := &fake{stack: shop()}
	r := chi.NewRouter()
	r.Route("/api/v1", func(r chi.Router) { stacks.Mount(r, f, 1<<20, logsRoute) })
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)

	cases := []struct {
		path, wantPath, wantQuery string
		status                    int
	}{
		{"/api/v1/stacks/shop/logs?service=web&tail=5", "/containers/shop-web/logs", "tail=5", http.StatusOK},
		{"/api/v1/stacks/shop/logs?service=worker&index=2&follow=true", "/containers/shop-worker-2/logs", "follow=true", http.StatusOK},
		{"/api/v1/stacks/shop/logs?service=db", "", "", http.StatusNotFound},
		{"/api/v1/stacks/shop/logs", "", "", http.StatusBadRequest},
		{"/api/v1/stacks/other/logs?service=web", "", "", http.StatusNotFound},
		{"/api/v1/stacks/shop/logs?service=web&index=0", "", "", http.StatusBadRequest},
	}
	for _, c := range cases {
		gotPath, gotQuery = "", ""
		res, err := srv.Client().Get(srv.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.status || gotPath != c.wantPath || gotQuery != c.wantQuery {
			t.Errorf("GET %s: %d, logs route got %q ?%q; want %d, %q ?%q", c.path, res.StatusCode, gotPath, gotQuery, c.status, c.wantPath, c.wantQuery)
		}
	}
}

func TestDownTakesVolumesAndOwner(t *testing.T) {
	f := &fake{stack: shop()}
	r := chi.NewRouter()
	stacks.Mount(r, f, 1<<20, http.NotFoundHandler())
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	for _, c := range []struct {
		query  string
		status int
		want   msg.StackRef
	}{
		{"?volumes=true&owner=u-bob", http.StatusOK, msg.StackRef{Name: "shop", Volumes: true, Owner: "u-bob"}},
		{"", http.StatusOK, msg.StackRef{Name: "shop"}},
		{"?volumes=maybe", http.StatusBadRequest, msg.StackRef{}},
	} {
		f.refs = nil
		req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/stacks/shop"+c.query, nil)
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.status {
			t.Errorf("DELETE %s: %d, want %d", c.query, res.StatusCode, c.status)
		}
		if c.status == http.StatusOK && (len(f.refs) != 1 || f.refs[0] != c.want) {
			t.Errorf("DELETE %s: runner got %+v, want %+v", c.query, f.refs, c.want)
		}
	}
}

func TestBadUpsAreRefused(t *testing.T) {
	r := chi.NewRouter()
	stacks.Mount(r, &fake{}, 1<<20, http.NotFoundHandler())
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	for _, c := range []struct{ ct, body, says string }{
		{"application/json", `{"name":"shop","compose":"services: {}","enviroment":{}}`, `unknown field \"enviroment\"`},
		{"text/yaml", "services: {}", "not supported"},
	} {
		res, err := srv.Client().Post(srv.URL+"/stacks", c.ct, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Error apierr.Error }
		_ = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body.Error.Message, strings.ReplaceAll(c.says, `\"`, `"`)) {
			t.Errorf("POST %s: %d %+v, want 400 saying %s", c.ct, res.StatusCode, body.Error, c.says)
		}
	}
}

// TestVariablesTakesJSONOrTheProject: POST /stacks/variables takes the
// compose file as JSON, or the multipart form of an up with the project,
// and answers the runner's list.
func TestVariablesTakesJSONOrTheProject(t *testing.T) {
	f := &fake{}
	r := chi.NewRouter()
	stacks.Mount(r, f, 1<<20, http.NotFoundHandler())
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	multipart := func(request, project string) (string, io.Reader) {
		var b strings.Builder
		w := multipart.NewWriter(&b)
		pw, _ := w.CreateFormField("request")
		_, _ = io.WriteString(pw, request)
		cw, _ := w.CreateFormFile("context", "project.tar")
		_, _ = io.WriteString(cw, project)
		_ = w.Close()
		return w.FormDataContentType(), strings.NewReader(b.String())
	}
	mct, mbody := multipart(`{"compose":"services: {}"}`, "tar bytes")
	for _, c := range []struct {
		name, ct string
		body     io.Reader
		status   int
		project  string
	}{
		{"json", "application/json", strings.NewReader(`{"compose":"services: {}"}`), http.StatusOK, ""},
		{"multipart", mct, mbody, http.StatusOK, "tar bytes"},
		{"unknown field", "application/json", strings.NewReader(`{"compose":"x","env":{}}`), http.StatusBadRequest, ""},
		{"yaml", "text/yaml", strings.NewReader("services: {}"), http.StatusBadRequest, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			f.vars, f.ctx = nil, nil
			res, err := srv.Client().Post(srv.URL+"/stacks/variables", c.ct, c.body)
			if err != nil {
				t.Fatal(err)
			}
			var got msg.StackVariables
			_ = json.NewDecoder(res.Body).Decode(&got)
			res.Body.Close()
			if res.StatusCode != c.status {
				t.Fatalf("%d, want %d", res.StatusCode, c.status)
			}
			if c.status != http.StatusOK {
				return
			}
			if len(f.vars) != 1 || f.vars[0].Compose != "services: {}" || f.ctx[0] != c.project {
				t.Errorf("runner got %+v with project %q", f.vars, f.ctx)
			}
			if len(got.Variables) != 1 || got.Variables[0].Name != "TAG" {
				t.Errorf("answered %+v", got)
			}
		})
	}
}
