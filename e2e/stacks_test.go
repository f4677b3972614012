package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/e2e/stack"
	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/policy"
	runnerstack "github.com/dockeronline/platform/services/runner/stack"
)

// shopStack is a two-service stack: web serves a page, worker fetches it by
// service name and prints it.
const shopStack = `services:
  web:
    image: %[1]s
    command: ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /www && echo hello-from-web > /www/index.html && httpd -f -p 80 -h /www & wait"]
    expose: ["80"]
    volumes: ["data:/data"]
  worker:
    image: %[1]s
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do timeout 3 wget -q -O - http://web/ && echo; sleep 1; done"]
    depends_on: [web]
volumes:
  data: {}
`

// TestStacks: a two-service stack deployed through the API comes up with
// the Compose SDK; its job's events show Compose's progress; the worker
// talks to the web by service name (its logs, through the API, show the
// page); the web's link answers through the proxy; restart works; another
// user sees nothing; down removes everything it made.
func TestStacks(t *testing.T) {
	w := stack.StartWeb(t)
	s := w.Stack
	a := s.Register(t, stack.UniqueName("alice"))
	b := s.Register(t, stack.UniqueName("bob"))

	started := upStack(t, s, a.Token, map[string]any{"name": "shop", "compose": fmt.Sprintf(shopStack, s.Image)}, nil)
	evs := jobEvents(t, s, a.Token, started.Events, "")
	var done msg.JobEvent
	if last := evs[len(evs)-1]; last.Event != "done" || json.Unmarshal([]byte(last.Data), &done) != nil {
		t.Fatalf("up ended with %+v", last)
	}
	started2 := false
	for _, ev := range evs {
		var je msg.JobEvent
		var p msg.StackProgress
		if json.Unmarshal([]byte(ev.Data), &je) == nil && json.Unmarshal(je.Progress, &p) == nil &&
			p.Resource == "Container "+a.Username+"--shop-web" && p.Status == "Started" {
			started2 = true
		}
	}
	if !started2 {
		t.Errorf("no Compose event saying the web container started, in %d events", len(evs))
	}

	var st msg.Stack
	if r := s.Call(t, a.Token, http.MethodGet, "/api/v1/stacks/shop", nil); r.Status != http.StatusOK {
		t.Fatalf("get: %d %s", r.Status, r.Body)
	} else {
		r.JSON(t, &st)
	}
	link := ""
	for _, svc := range st.Services {
		if svc.State != "running" {
			t.Errorf("service %s is %s", svc.Name, svc.State)
		}
		if svc.Name == "web" && len(svc.Containers) == 1 && len(svc.Containers[0].Links) == 1 {
			link = svc.Containers[0].Links[0]
		}
	}
	proxyPort := strings.TrimPrefix(w.ProxyURL, "http://127.0.0.1:")
	if want := fmt.Sprintf("http://shop-web--%s.%s:%s/", a.Username, w.AppsDomain, proxyPort); link != want {
		t.Fatalf("web link %q, want %q (stack %+v)", link, want, st)
	}
	// The link answers through the proxy (the route arrives by JetStream).
	if body := throughProxy(t, w, link); !strings.Contains(body, "hello-from-web") {
		t.Errorf("the web link answered %q", body)
	}
	// The worker reached the web by its service name: its logs say so.
	waitFor(t, "the worker's logs show the web's page", func() (bool, string) {
		r := logs(t, s, a.Token, "/api/v1/stacks/shop/logs?service=worker&tail=20")
		return r.Status == http.StatusOK && strings.Contains(string(r.Body), "hello-from-web"), fmt.Sprintf("%d %s", r.Status, r.Body)
	})

	if r := s.Call(t, a.Token, http.MethodPost, "/api/v1/stacks/shop/restart", nil); r.Status != http.StatusOK {
		t.Errorf("restart: %d %s", r.Status, r.Body)
	} else if r.JSON(t, &st); st.Status != "running" {
		t.Errorf("after restart: %+v", st)
	}
	var list msg.StackList
	if r := s.Call(t, a.Token, http.MethodGet, "/api/v1/stacks", nil); r.Status != http.StatusOK {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	} else if r.JSON(t, &list); len(list.Stacks) != 1 || list.Stacks[0].Name != "shop" {
		t.Errorf("alice's stacks %+v", list)
	}

	// Bob sees none of it.
	for _, p := range []string{"/api/v1/stacks/shop", "/api/v1/stacks/shop/logs?service=web"} {
		if r := s.Call(t, b.Token, http.MethodGet, p, nil); r.Status != http.StatusNotFound {
			t.Errorf("bob GET %s: %d %s, want 404", p, r.Status, r.Body)
		}
	}
	if r := s.Call(t, b.Token, http.MethodDelete, "/api/v1/stacks/shop", nil); r.Status != http.StatusNotFound {
		t.Errorf("bob down: %d %s, want 404", r.Status, r.Body)
	}
	if r := s.Call(t, b.Token, http.MethodGet, "/api/v1/stacks", nil); r.Status != http.StatusOK {
		t.Errorf("bob list: %d", r.Status)
	} else if r.JSON(t, &list); len(list.Stacks) != 0 {
		t.Errorf("bob sees stacks %+v", list)
	}

	// Down removes every object the stack made.
	var down msg.StackDownResult
	if r := s.Call(t, a.Token, http.MethodDelete, "/api/v1/stacks/shop?volumes=true", nil); r.Status != http.StatusOK {
		t.Fatalf("down: %d %s", r.Status, r.Body)
	} else if r.JSON(t, &down); down.Containers != 2 || len(down.Volumes) != 1 {
		t.Errorf("down removed %+v", down)
	}
	if left := stackObjects(t, s, a.UserID, "shop"); len(left) > 0 {
		t.Errorf("left after down: %v", left)
	}
	if r := s.Call(t, a.Token, http.MethodGet, "/api/v1/stacks/shop", nil); r.Status != http.StatusNotFound {
		t.Errorf("get after down: %d", r.Status)
	}
}

// TestStackRefusals: every compose escape of the catalogue is refused with
// its rule through the API, and nothing is created; invalid files quote
// compose-go; a failing image fails the job with Docker's words and is
// rolled back.
func TestStackRefusals(t *testing.T) {
	s := stack.Start(t)
	a := s.Register(t, stack.UniqueName("mallory"))
	for _, c := range runnerstack.EscapeCases() {
		t.Run(c.Name, func(t *testing.T) {
			pace() // the gateway rate-limits each user (bursts of 60)
			r := postStack(t, s, a.Token, map[string]any{"name": "evil", "compose": c.Compose}, c.Files)
			e := r.Err(t)
			if r.Status/100 != 4 || e.Rule != c.Rule {
				t.Fatalf("%d %s, want a 4xx with rule %s", r.Status, r.Body, c.Rule)
			}
		})
	}
	if left := stackObjects(t, s, a.UserID, ""); len(left) > 0 {
		t.Errorf("refused stacks left %v", left)
	}

	cases := []struct {
		name string
		body map[string]any
		says string
	}{
		{"unknown key", map[string]any{"name": "bad", "compose": "services:\n  web:\n    imagee: busybox\n"}, "imagee"},
		{"bad interpolation", map[string]any{"name": "bad", "compose": "services:\n  web:\n    image: ${TAG:?give a TAG}\n"}, "give a TAG"},
		{"unknown request field", map[string]any{"name": "bad", "compose": "services: {}\n", "enviroment": map[string]string{}}, `"enviroment"`},
		{"bad stack name", map[string]any{"name": "Bad_Name", "compose": "services: {}\n"}, "Bad_Name"},
		{"context named, not uploaded", map[string]any{"name": "bad", "compose": "services: {}\n", "context": strings.Repeat("ab", 16)}, "upload"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pace()
			r := s.Call(t, a.Token, http.MethodPost, "/api/v1/stacks", c.body)
			if e := r.Err(t); r.Status != http.StatusBadRequest || !strings.Contains(e.Message, c.says) {
				t.Fatalf("%d %s, want 400 saying %q", r.Status, r.Body, c.says)
			}
		})
	}

	t.Run("failing image", func(t *testing.T) {
		compose := fmt.Sprintf("services:\n  web:\n    image: %s\n    command: [\"sleep\", \"60\"]\n  ghost:\n    image: dockeronline-test/ghost:1\n", s.Image)
		started := upStack(t, s, a.Token, map[string]any{"name": "ghostly", "compose": compose}, nil)
		evs := jobEvents(t, s, a.Token, started.Events, "")
		var je msg.JobEvent
		if last := evs[len(evs)-1]; last.Event != "error" || json.Unmarshal([]byte(last.Data), &je) != nil || je.Error == nil {
			t.Fatalf("up ended with %+v", last)
		}
		if !strings.Contains(je.Error.Docker, "registry") || !strings.Contains(je.Error.Message, "dockeronline-test/ghost:1") || !strings.Contains(je.Error.Message, "removed") {
			t.Errorf("error %+v, want Docker's words, the image and the rollback", je.Error)
		}
		if left := stackObjects(t, s, a.UserID, "ghostly"); len(left) > 0 {
			t.Errorf("the failed up left %v", left)
		}
	})
}

// upStack deploys a stack and returns the accepted job.
func upStack(t *testing.T, s *stack.Stack, token string, req map[string]any, files map[string]string) msg.JobStarted {
	t.Helper()
	r := postStack(t, s, token, req, files)
	if r.Status != http.StatusAccepted {
		t.Fatalf("up: %d %s", r.Status, r.Body)
	}
	var started msg.JobStarted
	r.JSON(t, &started)
	if started.Job.Kind != msg.JobStackUp || started.Events != "/api/v1/jobs/"+started.Job.ID+"/events" {
		t.Fatalf("up accepted %+v", started)
	}
	return started
}

// postStack posts an up: JSON alone, or a multipart form with the project.
func postStack(t *testing.T, s *stack.Stack, token string, req map[string]any, files map[string]string) stack.Response {
	t.Helper()
	if files == nil {
		return s.Call(t, token, http.MethodPost, "/api/v1/stacks", req)
	}
	return postForm(t, s, token, "/api/v1/stacks", req, files)
}

// postForm posts a multipart form: part "request" (req as JSON), then
// part "context" (files as a tar).
func postForm(t *testing.T, s *stack.Stack, token, path string, req any, files map[string]string) stack.Response {
	t.Helper()
	raw := map[string][]byte{}
	for k, v := range files {
		raw[k] = []byte(v)
	}
	return postArchive(t, s, token, path, req, dockertest.TarOf(t, raw))
}

// postArchive posts a multipart form: part "request" (req as JSON), then
// part "context" (archive as it is).
func postArchive(t *testing.T, s *stack.Stack, token, path string, req any, archive io.Reader) stack.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	j, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := mw.WriteField("request", string(j)); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("context", "context.tar")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(fw, archive); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return rawPost(t, s, token, path, mw.FormDataContentType(), &body)
}

func rawPost(t *testing.T, s *stack.Stack, token, path, contentType string, body io.Reader) stack.Response {
	t.Helper()
	hr, err := http.NewRequest(http.MethodPost, s.GatewayURL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Content-Type", contentType)
	hr.Header.Set("Authorization", "Bearer "+token)
	res, err := (&http.Client{Timeout: 2 * time.Minute}).Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return stack.Response{Status: res.StatusCode, Body: b}
}

// logs reads logs as plain text, without following.
func logs(t *testing.T, s *stack.Stack, token, path string) stack.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, s.GatewayURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Accept", "text/plain")
	hr.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return stack.Response{Status: res.StatusCode, Body: b}
}

// throughProxy requests a web link through the test's proxy, retrying
// while the route travels from the runner's events to the proxy.
func throughProxy(t *testing.T, w *stack.Web, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	var body string
	waitFor(t, "the web link answers through the proxy", func() (bool, string) {
		req, _ := http.NewRequest(http.MethodGet, w.ProxyURL+u.Path, nil)
		req.Host = u.Host
		res, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
		if err != nil {
			return false, err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		body = string(b)
		return res.StatusCode == http.StatusOK, fmt.Sprintf("%d %s", res.StatusCode, b)
	})
	return body
}

// pace keeps a loop of calls under the gateway's per-user rate limit
// (20 calls a second).
func pace() { time.Sleep(60 * time.Millisecond) }

func waitFor(t *testing.T, what string, f func() (bool, string)) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		var ok bool
		if ok, last = f(); ok {
			return
		}
	}
	t.Fatalf("%s: never; last: %s", what, last)
}

// stackObjects names the Docker objects of owner carrying the stack label
// (of stackName, or any stack).
func stackObjects(t *testing.T, s *stack.Stack, owner, stackName string) []string {
	t.Helper()
	ctx := context.Background()
	f := make(client.Filters).Add("label", policy.LabelOwner+"="+owner)
	if stackName == "" {
		f.Add("label", policy.LabelStack)
	} else {
		f.Add("label", policy.LabelStack+"="+stackName)
	}
	var out []string
	cs, err := s.Docker.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs.Items {
		out = append(out, "container "+c.Names[0])
	}
	ns, err := s.Docker.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns.Items {
		out = append(out, "network "+n.Name)
	}
	vs, err := s.Docker.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs.Items {
		out = append(out, "volume "+v.Name)
	}
	return out
}
