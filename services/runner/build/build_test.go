package build_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/jobs"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/image"
	"github.com/dockeronline/platform/services/runner/policy"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

type harness struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	cli   *client.Client
	image string
}

func setup(t *testing.T, extra ...map[string]string) *harness {
	t.Helper()
	cli := dockertest.Client(t)
	img := dockertest.BusyboxImage(t, cli)
	srv := natstest.Server(t)
	runnertest.Start(t, srv.ClientURL(), extra...)
	nc := natstest.Connect(t, srv)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{nc: nc, js: js, cli: cli, image: img}
}

func start(t *testing.T, h *harness, c identity.Caller, req msg.BuildRequest) (msg.JobStarted, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(identity.With(context.Background(), c), time.Minute)
	defer cancel()
	return bus.Request[msg.JobStarted](ctx, h.nc, subjects.RunnerRequestSubject(subjects.BuildStart), req)
}

// upload puts files, as a tar, in the contexts bucket for owner, as the
// gateway does.
func upload(t *testing.T, h *harness, owner string, files map[string]string) string {
	t.Helper()
	raw := map[string][]byte{}
	for k, v := range files {
		raw[k] = []byte(v)
	}
	return putUpload(t, h, owner, dockertest.TarOf(t, raw))
}

// putUpload puts an archive as it is in the contexts bucket for owner.
func putUpload(t *testing.T, h *harness, owner string, archive io.Reader) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	store, err := h.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: msg.ContextsBucket, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	name := hex.EncodeToString(b)
	if _, err := store.Put(ctx, jetstream.ObjectMeta{Name: name, Metadata: map[string]string{msg.ContextOwnerKey: owner}}, archive); err != nil {
		t.Fatal(err)
	}
	return name
}

func finish(t *testing.T, h *harness, id string) []msg.JobEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ch, err := jobs.Watch(ctx, h.js, id)
	if err != nil {
		t.Fatal(err)
	}
	var evs []msg.JobEvent
	for ev := range ch {
		evs = append(evs, ev)
	}
	if len(evs) == 0 || !evs[len(evs)-1].Terminal() {
		t.Fatalf("job %s did not end: %+v", id, evs)
	}
	return evs
}

// removeImage removes ref when the test ends, with the containers made
// from it (first, or the image would only be untagged) and its parent
// layers.
func removeImage(t *testing.T, h *harness, ref string) {
	t.Cleanup(func() { removeBuilt(h.cli, ref) })
}

func removeBuilt(cli *client.Client, ref string) {
	ctx := context.Background()
	if cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("ancestor", ref)}); err == nil {
		for _, c := range cs.Items {
			_, _ = cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true})
		}
	}
	_, _ = cli.ImageRemove(ctx, ref, client.ImageRemoveOptions{Force: true, PruneChildren: true})
}

// TestBuildFromAnUploadThatRuns: an uploaded context is built with the
// classic builder, its log streamed as the job's progress (steps named),
// tagged in the user's namespace with the owner labels, and run.
func TestBuildFromAnUploadThatRuns(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		h := setup(t, be.env(t))
		alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
		tag := alice.Username + "/site:1"
		removeImage(t, h, tag)
		files := map[string]string{
			"docker/Dockerfile": "FROM " + h.image + "\nARG GREETING=hi\nCOPY index.html /www/index.html\nRUN echo \"$GREETING\" > /www/greeting.txt\nCMD [\"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/www\"]\n",
			"index.html":        "hello from the build\n",
		}
		started, err := start(t, h, alice, msg.BuildRequest{
			Name: "site", Tag: "1", Context: upload(t, h, alice.UserID, files), DockerfilePath: "docker/Dockerfile",
			BuildArgs: map[string]string{"GREETING": "bonjour"}, NoCache: true,
			Run: &msg.ContainerSpec{Name: "site", Ports: []msg.PortSpec{{Container: 80}}},
		})
		if err != nil {
			t.Fatalf("build: %v", err)
		}
		if started.Job.Kind != msg.JobBuild || started.Job.Target != tag {
			t.Errorf("job %+v", started.Job)
		}
		evs := finish(t, h, started.Job.ID)
		last := evs[len(evs)-1]
		if last.Type != msg.JobEventDone {
			t.Fatalf("build failed: %+v", last.Error)
		}
		var steps []string
		var lines int
		for _, ev := range evs[:len(evs)-1] {
			var l msg.BuildLog
			if err := json.Unmarshal(ev.Progress, &l); err != nil {
				t.Fatalf("progress %s: %v", ev.Progress, err)
			}
			lines += len(l.Lines)
			if len(steps) == 0 || steps[len(steps)-1] != l.Step {
				steps = append(steps, l.Step)
			}
		}
		// The classic builder counts the platform's labels as steps too;
		// BuildKit names its stages.
		wantStep := "Step 4/8 : RUN echo \"$GREETING\""
		if be.buildkit {
			wantStep = "RUN echo \"bonjour\" > /www/greeting.txt" // BuildKit names the step with its args expanded
		}
		if !be.buildkit && !strings.Contains(logOf(evs), "classic builder: heredocs") {
			t.Errorf("the classic build does not say it is the classic builder:\n%s", logOf(evs))
		}
		if lines == 0 || !strings.Contains(strings.Join(steps, "|"), wantStep) {
			t.Errorf("build log: %d lines, steps %q", lines, steps)
		}
		var res msg.BuildResult
		if err := json.Unmarshal(last.Result, &res); err != nil {
			t.Fatal(err)
		}
		if res.Image != tag || res.ID == "" || res.Container == nil || res.Container.Name != "site" || res.Container.State != "running" {
			t.Fatalf("result %+v", res)
		}
		img, err := h.cli.ImageInspect(context.Background(), tag)
		if err != nil {
			t.Fatal(err)
		}
		if l := img.Config.Labels; l[policy.LabelOwner] != alice.UserID || l[policy.LabelUsername] != alice.Username || l[policy.LabelName] != "site" {
			t.Errorf("image labels %v", l)
		}
		// The upload and the build arg reached the image, which serves them.
		in, err := h.cli.ContainerInspect(context.Background(), alice.Username+"--site", client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ip := engine.IPOn(in.Container, alice.Username+"--default")
		for path, want := range map[string]string{"/": "hello from the build", "/greeting.txt": "bonjour"} {
			if got := get(t, "http://"+ip.String()+path); !strings.Contains(got, want) {
				t.Errorf("GET %s: %q, want %q", path, got, want)
			}
		}
		// Another user may not run it, nor build from it.
		bob := runnertest.NewUser(t, h.cli, identity.RoleUser)
		if err := image.MayUse(context.Background(), h.cli, bob, tag); apierr.From(err) == nil || apierr.From(err).Code != apierr.CodeNotFound {
			t.Errorf("bob may use alice's image: %v", err)
		}
		_, err = start(t, h, bob, msg.BuildRequest{Name: "copycat", Dockerfile: "FROM " + tag + "\n"})
		if apierr.From(err) == nil || apierr.From(err).Code != apierr.CodeNotFound {
			t.Errorf("bob builds from alice's image: %v, want not found", err)
		}
	})
}

func get(t *testing.T, url string) string {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	var last error
	for i := 0; i < 20; i++ {
		res, err := c.Get(url)
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			return string(b)
		}
		last = err
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("GET %s: %v", url, last)
	return ""
}

// TestBrokenDockerfileNamesTheStep: a failing step fails the job with the
// step and Docker's own words.
func TestBrokenDockerfileNamesTheStep(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		h := setup(t, be.env(t))
		alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
		removeImage(t, h, alice.Username+"/broken:latest")
		started, err := start(t, h, alice, msg.BuildRequest{Name: "broken",
			Dockerfile: "FROM " + h.image + "\nRUN echo fine\nRUN echo about to fail && exit 3\nRUN echo never\n"})
		if err != nil {
			t.Fatalf("build: %v", err)
		}
		evs := finish(t, h, started.Job.ID)
		last := evs[len(evs)-1]
		if last.Type != msg.JobEventError || last.Error == nil {
			t.Fatalf("last event %+v, want an error", last)
		}
		e := last.Error
		// The classic builder counts the platform's labels as steps too.
		wantStep, wantDocker := "Step 3/7 : RUN echo about to fail && exit 3", "returned a non-zero code: 3"
		if be.buildkit {
			wantStep, wantDocker = "RUN echo about to fail && exit 3", "did not complete successfully: exit code: 3"
		}
		if !strings.Contains(e.Message, wantStep) || !strings.Contains(e.Docker, wantDocker) {
			t.Errorf("error %+v, want the step and Docker's words", e)
		}
		sawOutput := false
		for _, ev := range evs {
			var l msg.BuildLog
			if json.Unmarshal(ev.Progress, &l) == nil && strings.Contains(strings.Join(l.Lines, "\n"), "about to fail") {
				sawOutput = true
			}
		}
		if !sawOutput {
			t.Errorf("the failing step's output is not in the log")
		}
	})
}

// TestBuildRefusals: what the policy refuses is refused before a job
// starts, with the rule; a context is only ever read by its uploader.
func TestBuildRefusals(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		h := setup(t, be.env(t))
		alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
		bob := runnertest.NewUser(t, h.cli, identity.RoleUser)
		from := "FROM " + h.image + "\n"
		bobs := upload(t, h, bob.UserID, map[string]string{"Dockerfile": from})
		cases := []struct {
			name string
			req  msg.BuildRequest
			code apierr.Code
			rule string
		}{
			{"host network", msg.BuildRequest{Name: "x", Dockerfile: from, Network: "host"}, apierr.CodePolicy, policy.RuleHostNS},
			{"another network", msg.BuildRequest{Name: "x", Dockerfile: from, Network: "bob--default"}, apierr.CodePolicy, policy.RuleNetwork},
			{"privileged entitlement", msg.BuildRequest{Name: "x", Dockerfile: from, Entitlements: []string{"security.insecure"}}, apierr.CodePolicy, policy.RuleEntitlement},
			{"COPY from outside", msg.BuildRequest{Name: "x", Dockerfile: from + "COPY ../../etc/shadow /s\n"}, apierr.CodePolicy, policy.RulePath},
			{"ADD a URL", msg.BuildRequest{Name: "x", Dockerfile: from + "ADD http://127.0.0.1:8222/varz /v\n"}, apierr.CodePolicy, policy.RuleRemoteSource},
			{"RUN --mount of the ssh agent", msg.BuildRequest{Name: "x", Dockerfile: from + "RUN --mount=type=ssh true\n"}, apierr.CodePolicy, policy.RulePath},
			{"Dockerfile path outside", msg.BuildRequest{Name: "x", Dockerfile: from, DockerfilePath: "../Dockerfile"}, apierr.CodePolicy, policy.RulePath},
			{"unknown target", msg.BuildRequest{Name: "x", Dockerfile: from, Target: "nope"}, apierr.CodeInvalid, ""},
			{"bad name", msg.BuildRequest{Name: "Bad_Name", Dockerfile: from}, apierr.CodeInvalid, ""},
			{"nothing to build", msg.BuildRequest{Name: "x"}, apierr.CodeInvalid, ""},
			{"another user's upload", msg.BuildRequest{Name: "x", Context: bobs}, apierr.CodeNotFound, ""},
			{"an unknown upload", msg.BuildRequest{Name: "x", Context: strings.Repeat("ab", 16)}, apierr.CodeNotFound, ""},
			{"run refused before building", msg.BuildRequest{Name: "x", Dockerfile: from, Run: &msg.ContainerSpec{Name: "x", HostConfig: json.RawMessage(`{"Privileged":true}`)}}, apierr.CodePolicy, policy.RulePrivileged},
		}
		// The classic builder has no secrets at all; BuildKit refuses only a
		// required one the build does not provide.
		secret := struct {
			name string
			req  msg.BuildRequest
			code apierr.Code
			rule string
		}{"RUN --mount of a secret", msg.BuildRequest{Name: "x", Dockerfile: from + "RUN --mount=type=secret,id=k true\n"}, apierr.CodePolicy, policy.RulePath}
		if be.buildkit {
			secret.name, secret.req.Dockerfile, secret.code, secret.rule = "RUN --mount of a required secret not given", from+"RUN --mount=type=secret,id=k,required=true true\n", apierr.CodeInvalid, policy.RuleDockerfile
		}
		cases = append(cases, secret)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				started, err := start(t, h, alice, c.req)
				ae := apierr.From(err)
				if ae == nil {
					t.Fatalf("accepted: job %s", started.Job.ID)
				}
				if ae.Code != c.code || ae.Rule != c.rule {
					t.Fatalf("got %v, want %s with rule %q", err, c.code, c.rule)
				}
			})
		}
		// Bob's upload is still his: alice's attempt did not consume it.
		started, err := start(t, h, bob, msg.BuildRequest{Name: "mine", Context: bobs})
		if err != nil {
			t.Fatalf("bob's own build: %v", err)
		}
		removeImage(t, h, bob.Username+"/mine:latest")
		if last := finish(t, h, started.Job.ID); last[len(last)-1].Type != msg.JobEventDone {
			t.Errorf("bob's build: %+v", last[len(last)-1].Error)
		}
	})
}
