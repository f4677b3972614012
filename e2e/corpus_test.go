package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/e2e/stack"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/testenv"
	"github.com/dockeronline/platform/services/runner/policy"
)

// corpusDir holds projects in the shape of real published ones: each
// folder is a project as its author would publish it (compose.yaml or
// docker-compose.yml, Dockerfiles, config files, .env) plus expect.json,
// what deploying it exactly as pasted must give. "%IMAGE%" anywhere in a
// project file stands for the local busybox image.
const corpusDir = "testdata/corpus"

// corpusExpect is a project's expect.json.
type corpusExpect struct {
	// Why says which kind of real file this project stands for.
	Why string `json:"why"`
	// Stack is the stack name (default: the folder's name, as a user
	// naming the stack after the project's folder would).
	Stack string `json:"stack,omitempty"`
	// Env is what the stack form's variables send.
	Env map[string]string `json:"env,omitempty"`
	// Refuse: the deploy is refused (a 4xx, or a failed job) by this rule,
	// with a message containing Says.
	Refuse *struct {
		Rule string `json:"rule"`
		Says string `json:"says,omitempty"`
	} `json:"refuse,omitempty"`
	// Notes: each must be a substring of one of the job's notes.
	Notes []string `json:"notes,omitempty"`
	// Renamed: each (kind, from) must be in the deployed stack's Renamed,
	// the mapping the stack page shows.
	Renamed []msg.StackRename `json:"renamed,omitempty"`
	// Checks run after the deploy; Redeploy, after the same project is
	// deployed a second time (what persists, what was refreshed).
	Checks   []corpusCheck `json:"checks,omitempty"`
	Redeploy []corpusCheck `json:"redeploy,omitempty"`
	// Links are symbolic links the upload holds besides the folder's
	// files (name → target), as an author's tar would carry them.
	Links map[string]string `json:"links,omitempty"`
}

// corpusCheck is one observation of a deployed stack: a service's logs
// (Logs: the service) or its web link (Link: the service; Port picks the
// link of that container port when it has several) contain Contains.
type corpusCheck struct {
	Logs     string `json:"logs,omitempty"`
	Link     string `json:"link,omitempty"`
	Port     int    `json:"port,omitempty"`
	Path     string `json:"path,omitempty"`
	Contains string `json:"contains"`
}

// TestCorpus deploys every project of the corpus through the API on the
// real engine, as pasted, and checks what expect.json says.
func TestCorpus(t *testing.T) {
	projects, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	// Builds run on standalone BuildKit, as `make run` deploys the
	// platform: the corpus' Dockerfiles are today's.
	w := stack.StartWeb(t, map[string]string{"RUNNER_BUILDKIT_ADDR": testenv.BuildKit(t).Addr, "RUNNER_BUILDKIT_DIR": t.TempDir()})
	for _, p := range projects {
		if !p.IsDir() {
			continue
		}
		t.Run(p.Name(), func(t *testing.T) {
			dir := filepath.Join(corpusDir, p.Name())
			var exp corpusExpect
			raw, err := os.ReadFile(filepath.Join(dir, "expect.json"))
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(strings.NewReader(string(raw)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&exp); err != nil {
				t.Fatalf("expect.json: %v", err)
			}
			deployCorpusProject(t, w, dir, p.Name(), exp)
		})
	}
}

func deployCorpusProject(t *testing.T, w *stack.Web, dir, name string, exp corpusExpect) {
	s := w.Stack
	u := s.Register(t, stack.UniqueName("c"))
	compose, files := corpusFiles(t, dir, s.Image)
	name = firstNonEmpty(exp.Stack, name)
	req := map[string]any{"name": name, "compose": compose}
	if len(exp.Env) > 0 {
		req["env"] = exp.Env
	}
	up := func() (msg.StackUpResult, bool) {
		pace()
		var r stack.Response
		if len(exp.Links) > 0 {
			r = postStackWithLinks(t, s, u.Token, req, files, exp.Links)
		} else {
			r = postStack(t, s, u.Token, req, files)
		}
		if exp.Refuse != nil && r.Status/100 == 4 {
			if e := r.Err(t); e.Rule != exp.Refuse.Rule || !strings.Contains(e.Message, exp.Refuse.Says) {
				t.Fatalf("refused with %d %s, want rule %s saying %q", r.Status, r.Body, exp.Refuse.Rule, exp.Refuse.Says)
			}
			return msg.StackUpResult{}, false
		}
		if r.Status != http.StatusAccepted {
			t.Fatalf("up: %d %s", r.Status, r.Body)
		}
		var started msg.JobStarted
		r.JSON(t, &started)
		evs := jobEvents(t, s, u.Token, started.Events, "")
		var je msg.JobEvent
		if err := json.Unmarshal([]byte(evs[len(evs)-1].Data), &je); err != nil {
			t.Fatal(err)
		}
		if exp.Refuse != nil {
			if je.Error == nil || je.Error.Rule != exp.Refuse.Rule || !strings.Contains(je.Error.Message, exp.Refuse.Says) {
				t.Fatalf("up ended with %+v, want a refusal by %s saying %q", je, exp.Refuse.Rule, exp.Refuse.Says)
			}
			return msg.StackUpResult{}, false
		}
		if je.Error != nil {
			t.Fatalf("up failed: %+v", je.Error)
		}
		var res msg.StackUpResult
		if err := json.Unmarshal(je.Result, &res); err != nil {
			t.Fatal(err)
		}
		// Each note was also in the job's output, as it ran.
		var shown []string
		for _, ev := range evs[:len(evs)-1] {
			var pe msg.JobEvent
			var sp msg.StackProgress
			if json.Unmarshal([]byte(ev.Data), &pe) == nil && json.Unmarshal(pe.Progress, &sp) == nil && sp.Status == msg.StatusNote {
				shown = append(shown, sp.Text)
			}
		}
		for _, n := range res.Notes {
			if !slices.Contains(shown, n) {
				t.Errorf("note %q is not in the job's progress events %q", n, shown)
			}
		}
		return res, true
	}
	res, ok := up()
	if !ok {
		if left := stackObjects(t, s, u.UserID, name); len(left) > 0 {
			t.Errorf("the refused deploy left %v", left)
		}
		return
	}
	t.Cleanup(func() {
		s.Call(t, u.Token, http.MethodDelete, "/api/v1/stacks/"+name+"?volumes=true", nil)
		removeUserImages(t, s, u.UserID) // a stack's down leaves the images it built, as Compose's does
	})
	for _, want := range exp.Notes {
		if !containsSome(res.Notes, want) {
			t.Errorf("no note says %q; notes: %q", want, res.Notes)
		}
	}
	for _, want := range exp.Renamed {
		if !slices.ContainsFunc(res.Stack.Renamed, func(r msg.StackRename) bool { return r.Kind == want.Kind && r.From == want.From && r.To != "" }) {
			t.Errorf("the stack does not show %s %q renamed; it shows %+v", want.Kind, want.From, res.Stack.Renamed)
		}
	}
	corpusNoteLinks(t, s, u.Token, name, res.Notes)
	runCorpusChecks(t, w, u, name, exp.Checks)
	if len(exp.Redeploy) > 0 {
		if _, ok := up(); ok {
			runCorpusChecks(t, w, u, name, exp.Redeploy)
		}
	}
}

func runCorpusChecks(t *testing.T, w *stack.Web, u stack.User, name string, checks []corpusCheck) {
	t.Helper()
	s := w.Stack
	for _, c := range checks {
		switch {
		case c.Logs != "":
			waitFor(t, fmt.Sprintf("service %s's logs contain %q", c.Logs, c.Contains), func() (bool, string) {
				r := logs(t, s, u.Token, "/api/v1/stacks/"+name+"/logs?service="+c.Logs+"&tail=200")
				return r.Status == http.StatusOK && strings.Contains(string(r.Body), c.Contains), fmt.Sprintf("%d %s", r.Status, r.Body)
			})
		case c.Link != "":
			link := corpusLink(t, s, u.Token, name, c.Link, c.Port)
			if body := throughProxy(t, w, strings.TrimSuffix(link, "/")+firstNonEmpty(c.Path, "/")); !strings.Contains(body, c.Contains) {
				t.Errorf("%s answered %q, want %q", link, body, c.Contains)
			}
		default:
			t.Fatalf("a check names neither logs nor link: %+v", c)
		}
	}
}

// corpusLink is the web link of service's first container (of that
// container port, if port is set).
func corpusLink(t *testing.T, s *stack.Stack, token, name, service string, port int) string {
	t.Helper()
	var st msg.Stack
	if r := s.Call(t, token, http.MethodGet, "/api/v1/stacks/"+name, nil); r.Status != http.StatusOK {
		t.Fatalf("get stack: %d %s", r.Status, r.Body)
	} else {
		r.JSON(t, &st)
	}
	for _, svc := range st.Services {
		if svc.Name != service || len(svc.Containers) == 0 {
			continue
		}
		for _, l := range svc.Containers[0].Links {
			if port == 0 || strings.Contains(l, fmt.Sprintf("-%d--", port)) {
				return l
			}
		}
		if port != 0 && len(svc.Containers[0].Links) == 1 {
			return svc.Containers[0].Links[0]
		}
	}
	t.Fatalf("service %s has no link (port %d): %+v", service, port, st)
	return ""
}

// corpusFiles reads a project: its compose file, and every file (the
// compose file included, as an upload holds it) for the context.
func corpusFiles(t *testing.T, dir, image string) (compose string, files map[string]string) {
	t.Helper()
	files = map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "expect.json" {
			return nil
		}
		b, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = strings.ReplaceAll(string(b), "%IMAGE%", image)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"} {
		if c, ok := files[n]; ok {
			return c, files
		}
	}
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t.Fatalf("%s has no compose file: %v", dir, keys)
	return "", nil
}

func containsSome(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// noteURL finds the web links notes promise.
var noteURL = regexp.MustCompile(`https?://[^\s)]+`)

// corpusNoteLinks checks that every web link a note promises is a link of
// the deployed stack, as the stack page shows them.
func corpusNoteLinks(t *testing.T, s *stack.Stack, token, name string, notes []string) {
	t.Helper()
	var st msg.Stack
	r := s.Call(t, token, http.MethodGet, "/api/v1/stacks/"+name, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("get stack: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &st)
	var links []string
	for _, svc := range st.Services {
		for _, c := range svc.Containers {
			links = append(links, c.Links...)
		}
	}
	for _, n := range notes {
		for _, u := range noteURL.FindAllString(n, -1) {
			if !slices.Contains(links, u) {
				t.Errorf("note %q promises %s; the stack's links are %q", n, u, links)
			}
		}
	}
}

// removeUserImages removes the images the platform built for owner.
func removeUserImages(t *testing.T, s *stack.Stack, owner string) {
	t.Helper()
	ctx := context.Background()
	list, err := s.Docker.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("label", policy.LabelOwner+"="+owner)})
	if err != nil {
		t.Errorf("list %s's images: %v", owner, err)
		return
	}
	for _, im := range list.Items {
		if _, err := s.Docker.ImageRemove(ctx, im.ID, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil {
			t.Errorf("remove image %s: %v", im.ID, err)
		}
	}
}
