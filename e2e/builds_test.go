package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/e2e/stack"
	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/policy"
)

// TestBuilds: a context uploaded with the request is built (the build log
// streams as the job's events, steps named), tagged in the user's
// namespace, and run — its web link answers through the proxy; a raw tar
// body builds too; a broken Dockerfile's job error names the failing step
// and quotes Docker; options that reach the host are refused by rule.
func TestBuilds(t *testing.T) {
	w := stack.StartWeb(t)
	s := w.Stack
	a := s.Register(t, stack.UniqueName("alice"))
	b := s.Register(t, stack.UniqueName("bob"))
	tag := a.Username + "/site:1"
	t.Cleanup(func() { removeImages(s, tag, a.Username+"/raw:latest", a.Username+"/broken:latest") })

	files := map[string]string{
		"Dockerfile": "FROM " + s.Image + "\nARG WHO=nobody\nCOPY www/ /www/\nRUN echo \"built for $WHO\" >> /www/index.html\n" +
			"CMD [\"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/www\"]\n",
		"www/index.html": "hello from an uploaded context\n",
	}
	req := map[string]any{"name": "site", "tag": "1", "build_args": map[string]string{"WHO": a.Username},
		"run": map[string]any{"name": "site", "ports": []map[string]int{{"container": 80}}}}
	r := postForm(t, s, a.Token, "/api/v1/builds", req, files)
	if r.Status != http.StatusAccepted {
		t.Fatalf("build: %d %s", r.Status, r.Body)
	}
	var started msg.JobStarted
	r.JSON(t, &started)
	if started.Job.Kind != msg.JobBuild || started.Job.Target != tag {
		t.Fatalf("accepted %+v", started)
	}
	evs := jobEvents(t, s, a.Token, started.Events, "")
	var log []string
	for _, ev := range evs[:len(evs)-1] {
		var je msg.JobEvent
		var l msg.BuildLog
		if json.Unmarshal([]byte(ev.Data), &je) != nil || json.Unmarshal(je.Progress, &l) != nil {
			t.Fatalf("event %+v", ev)
		}
		log = append(log, l.Lines...)
	}
	if all := strings.Join(log, "\n"); !strings.Contains(all, "Step 3/") || !strings.Contains(all, "COPY www/ /www/") {
		t.Errorf("the build log lacks its steps:\n%s", all)
	}
	var done msg.JobEvent
	var res msg.BuildResult
	if last := evs[len(evs)-1]; last.Event != "done" || json.Unmarshal([]byte(last.Data), &done) != nil || json.Unmarshal(done.Result, &res) != nil {
		t.Fatalf("build ended with %+v", last)
	}
	if res.Image != tag || res.Container == nil || res.Container.State != "running" {
		t.Fatalf("result %+v", res)
	}
	// It runs, and its link answers through the proxy.
	proxyPort := strings.TrimPrefix(w.ProxyURL, "http://127.0.0.1:")
	link := fmt.Sprintf("http://site--%s.%s:%s/", a.Username, w.AppsDomain, proxyPort)
	if body := throughProxy(t, w, link); !strings.Contains(body, "hello from an uploaded context") || !strings.Contains(body, "built for "+a.Username) {
		t.Errorf("the built site answered %q", body)
	}
	in, err := s.Docker.ImageInspect(context.Background(), tag)
	if err != nil {
		t.Fatal(err)
	}
	if in.Config.Labels[policy.LabelOwner] != a.UserID {
		t.Errorf("image labels %v", in.Config.Labels)
	}
	// Bob can neither run it nor build from it.
	pace()
	if r := s.Call(t, b.Token, http.MethodPost, "/api/v1/builds", map[string]any{"name": "copy", "dockerfile": "FROM " + tag + "\n"}); r.Status != http.StatusNotFound {
		t.Errorf("bob builds from alice's image: %d %s", r.Status, r.Body)
	}

	// A raw tar body, the request in the query.
	raw := map[string][]byte{"Dockerfile": []byte("FROM " + s.Image + "\nCOPY hello.txt /hello.txt\n"), "hello.txt": []byte("hi\n")}
	r = rawPost(t, s, a.Token, "/api/v1/builds?name=raw&no_cache=true", "application/x-tar", dockertest.TarOf(t, raw))
	if r.Status != http.StatusAccepted {
		t.Fatalf("raw build: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &started)
	if evs := jobEvents(t, s, a.Token, started.Events, ""); evs[len(evs)-1].Event != "done" {
		t.Errorf("raw build ended with %+v", evs[len(evs)-1])
	}

	// A broken Dockerfile: the job's error names the step, quoting Docker.
	r = s.Call(t, a.Token, http.MethodPost, "/api/v1/builds", map[string]any{"name": "broken",
		"dockerfile": "FROM " + s.Image + "\nRUN echo step two\nRUN ls /no/such/dir\nCMD [\"true\"]\n"})
	if r.Status != http.StatusAccepted {
		t.Fatalf("broken build: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &started)
	evs = jobEvents(t, s, a.Token, started.Events, "")
	var failed msg.JobEvent
	if last := evs[len(evs)-1]; last.Event != "error" || json.Unmarshal([]byte(last.Data), &failed) != nil || failed.Error == nil {
		t.Fatalf("broken build ended with %+v", last)
	}
	if e := failed.Error; !strings.Contains(e.Message, ": RUN ls /no/such/dir") || !strings.Contains(e.Message, "Step 3/") || !strings.Contains(e.Docker, "returned a non-zero code") {
		t.Errorf("error %+v, want the failing step and Docker's words", e)
	}

	// Refused before anything runs, by rule.
	cases := []struct {
		name   string
		body   map[string]any
		status int
		rule   string
	}{
		{"host network", map[string]any{"name": "x", "dockerfile": "FROM " + s.Image + "\n", "network": "host"}, http.StatusForbidden, policy.RuleHostNS},
		{"privileged entitlement", map[string]any{"name": "x", "dockerfile": "FROM " + s.Image + "\n", "entitlements": []string{"security.insecure"}}, http.StatusForbidden, policy.RuleEntitlement},
		{"COPY of a host path", map[string]any{"name": "x", "dockerfile": "FROM " + s.Image + "\nCOPY /etc/shadow /s\n"}, http.StatusForbidden, policy.RulePath},
		{"RUN --mount of a host path", map[string]any{"name": "x", "dockerfile": "FROM " + s.Image + "\nRUN --mount=type=bind,source=/,target=/h ls /h\n"}, http.StatusForbidden, policy.RulePath},
		{"ADD of a URL", map[string]any{"name": "x", "dockerfile": "FROM " + s.Image + "\nADD http://169.254.169.254/latest/meta-data/ /m\n"}, http.StatusForbidden, policy.RuleRemoteSource},
		{"misspelt field", map[string]any{"name": "x", "dockerfile": "FROM " + s.Image + "\n", "priviliged": true}, http.StatusBadRequest, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pace()
			r := s.Call(t, a.Token, http.MethodPost, "/api/v1/builds", c.body)
			if e := r.Err(t); r.Status != c.status || e.Rule != c.rule {
				t.Fatalf("%d %s, want %d with rule %q", r.Status, r.Body, c.status, c.rule)
			}
		})
	}
}

// removeImages removes built images with the containers made from them
// (first, or the images would only be untagged) and their parent layers.
func removeImages(s *stack.Stack, refs ...string) {
	ctx := context.Background()
	for _, ref := range refs {
		if cs, err := s.Docker.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("ancestor", ref)}); err == nil {
			for _, c := range cs.Items {
				_, _ = s.Docker.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true})
			}
		}
		_, _ = s.Docker.ImageRemove(ctx, ref, client.ImageRemoveOptions{Force: true, PruneChildren: true})
	}
}
