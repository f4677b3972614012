package stack_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/nats-io/nats-server/v2/server"
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
	"github.com/dockeronline/platform/services/runner/policy"
	"github.com/dockeronline/platform/services/runner/runnertest"
	"github.com/dockeronline/platform/services/runner/stack"
)

type harness struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	cli   *client.Client
	image string
}

func setup(t *testing.T, env ...map[string]string) *harness {
	t.Helper()
	return setupWith(t, nil, env...)
}

// setupWith is setup on a NATS server whose options tweak changes.
func setupWith(t *testing.T, tweak func(*server.Options), env ...map[string]string) *harness {
	t.Helper()
	cli := dockertest.Client(t)
	img := dockertest.BusyboxImage(t, cli)
	srv := natstest.ServerWith(t, tweak)
	runnertest.Start(t, srv.ClientURL(), env...)
	nc := natstest.Connect(t, srv)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	natstest.WaitServing(t, srv.ClientURL(), subjects.RunnerRequestSubject(subjects.StackList), msg.StackListRequest{})
	return &harness{nc: nc, js: js, cli: cli, image: img}
}

func call[Resp any](t *testing.T, h *harness, c identity.Caller, op subjects.RunnerOp, req any) (Resp, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(identity.With(context.Background(), c), time.Minute)
	defer cancel()
	return bus.Request[Resp](ctx, h.nc, subjects.RunnerRequestSubject(op), req)
}

// upload puts files, as a tar, in the contexts bucket for owner, as the
// gateway does.
func upload(t *testing.T, h *harness, owner string, files map[string]string) string {
	t.Helper()
	raw := map[string][]byte{}
	for k, v := range files {
		raw[k] = []byte(v)
	}
	return uploadRaw(t, h, owner, dockertest.TarOf(t, raw))
}

// uploadRaw puts an archive as it is in the contexts bucket for owner.
func uploadRaw(t *testing.T, h *harness, owner string, archive io.Reader) string {
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

// finish waits for a job's end and returns its events.
func finish(t *testing.T, h *harness, id string) []msg.JobEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
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

// owned lists what owner has in Docker, restricted to stack when set.
func owned(t *testing.T, h *harness, owner, stackName string) (containers, networks, volumes []string) {
	t.Helper()
	ctx := context.Background()
	f := engine.OwnerFilter(owner)
	if stackName != "" {
		f = f.Add("label", policy.LabelStack+"="+stackName)
	}
	cs, err := h.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs.Items {
		containers = append(containers, c.Names[0])
	}
	ns, err := h.cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns.Items {
		networks = append(networks, n.Name)
	}
	vs, err := h.cli.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs.Items {
		volumes = append(volumes, v.Name)
	}
	return containers, networks, volumes
}

// TestComposeEscapesAreRefusedByRule: every compose-specific escape of the
// catalogue is refused by the rule that names it, at once, and nothing of
// the user exists in Docker afterwards — on a runner whose runtime is runc
// and on one whose runtime is gVisor (runsc).
func TestComposeEscapesAreRefusedByRule(t *testing.T) {
	for _, rt := range []string{policy.RuntimeRunc, policy.RuntimeRunsc} {
		t.Run(rt, func(t *testing.T) {
			h := setup(t, map[string]string{"RUNNER_RUNTIME": rt})
			alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
			cases := stack.EscapeCases()
			for _, c := range cases {
				t.Run(c.Name, func(t *testing.T) {
					req := msg.StackUpRequest{Name: "evil", Compose: c.Compose}
					if c.Files != nil {
						req.Context = upload(t, h, alice.UserID, c.Files)
					}
					started, err := call[msg.JobStarted](t, h, alice, subjects.StackUp, req)
					ae := apierr.From(err)
					if ae == nil {
						t.Fatalf("accepted (job %s)", started.Job.ID)
					}
					if ae.Rule != c.Rule {
						t.Fatalf("refused by %q (%s), want rule %q", ae.Rule, ae.Message, c.Rule)
					}
					if ae.Code != apierr.CodePolicy && ae.Code != apierr.CodeInvalid {
						t.Errorf("code %s, want a 4xx", ae.Code)
					}
				})
			}
			cs, ns, vs := owned(t, h, alice.UserID, "")
			if len(cs)+len(ns)+len(vs) > 0 {
				t.Errorf("refused stacks left objects: containers %v networks %v volumes %v", cs, ns, vs)
			}
			t.Logf("%d compose escape cases refused under %s", len(cases), rt)
		})
	}
}

// TestInvalidComposeFilesQuoteComposeGo: a file compose-go rejects is a 400
// quoting compose-go's own words.
func TestInvalidComposeFilesQuoteComposeGo(t *testing.T) {
	h := setup(t)
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	cases := []struct {
		name, compose, says string
		env                 map[string]string
	}{
		{name: "unknown key", compose: "services:\n  web:\n    imagee: busybox\n", says: "imagee"},
		{name: "not YAML", compose: "services: [\n", says: "yaml"},
		{name: "bad interpolation", compose: "services:\n  web:\n    image: ${IMG:?set IMG please}\n", says: "set IMG please"},
		{name: "malformed variable", compose: "services:\n  web:\n    image: ${IMG\n", says: "invalid interpolation format"},
		{name: "no services", compose: "volumes:\n  data: {}\n", says: "services"},
		{name: "runner env never leaks", compose: "services:\n  web:\n    image: ${HOME:?no HOME here}\n", says: "no HOME here"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := call[msg.JobStarted](t, h, alice, subjects.StackUp, msg.StackUpRequest{Name: "bad", Compose: c.compose, Env: c.env})
			ae := apierr.From(err)
			if ae == nil || ae.Code != apierr.CodeInvalid || !strings.Contains(strings.ToLower(ae.Message), strings.ToLower(c.says)) {
				t.Fatalf("got %v, want invalid_argument saying %q", err, c.says)
			}
		})
	}
	// With the variable given in the request, the same file passes the checks.
	_, err := call[msg.JobStarted](t, h, alice, subjects.StackUp, msg.StackUpRequest{Name: "bad",
		Compose: "services:\n  web:\n    image: ${IMG:?set IMG please}\n    command: [\"true\"]\n", Env: map[string]string{"IMG": "nonexistent/image:1"}})
	if ae := apierr.From(err); ae != nil && strings.Contains(ae.Message, "set IMG please") {
		t.Fatalf("env from the request not used: %v", err)
	}
}

const twoServices = `services:
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

// TestStackLifecycle: a two-service stack comes up through the Compose SDK
// in the user's namespace with the platform's labels and limits; the
// worker reaches the web by service name; the web answers on the user's
// network (where the proxy reaches it); another user sees nothing; down
// removes what up made, and the volume only when asked.
func TestStackLifecycle(t *testing.T) {
	h := setup(t)
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	bob := runnertest.NewUser(t, h.cli, identity.RoleUser)
	u := alice.Username

	started, err := call[msg.JobStarted](t, h, alice, subjects.StackUp, msg.StackUpRequest{Name: "shop", Compose: fmt.Sprintf(twoServices, h.image)})
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	evs := finish(t, h, started.Job.ID)
	last := evs[len(evs)-1]
	if last.Type != msg.JobEventDone {
		t.Fatalf("up failed: %+v", last.Error)
	}
	var res msg.StackUpResult
	if err := json.Unmarshal(last.Result, &res); err != nil {
		t.Fatal(err)
	}
	if res.Stack.Status != "running" || len(res.Stack.Services) != 2 {
		t.Fatalf("stack after up: %+v", res.Stack)
	}
	sawCompose := false
	for _, ev := range evs[:len(evs)-1] {
		var p msg.StackProgress
		if json.Unmarshal(ev.Progress, &p) == nil && strings.Contains(p.Resource, u+"--shop-web") {
			sawCompose = true
		}
	}
	if !sawCompose {
		t.Errorf("no Compose progress about the web container in %d events", len(evs))
	}

	ctx := context.Background()
	web, err := h.cli.ContainerInspect(ctx, u+"--shop-web", client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("web container: %v", err)
	}
	l := web.Container.Config.Labels
	if l[policy.LabelOwner] != alice.UserID || l[policy.LabelName] != "shop-web" || l[policy.LabelStack] != "shop" || l[policy.LabelUsername] != u {
		t.Errorf("web labels %v", l)
	}
	hc := web.Container.HostConfig
	if hc.Memory != 256<<20 || hc.PidsLimit == nil || *hc.PidsLimit != 256 || hc.LogConfig.Type != "json-file" || hc.LogConfig.Config["max-size"] != "10m" {
		t.Errorf("limits not applied: mem %d pids %v log %+v", hc.Memory, hc.PidsLimit, hc.LogConfig)
	}
	if !contains(hc.SecurityOpt, "no-new-privileges:true") {
		t.Errorf("security opts %v", hc.SecurityOpt)
	}
	nets := web.Container.NetworkSettings.Networks
	if _, ok := nets[u+"--shop-default"]; !ok {
		t.Errorf("web networks %v, want the stack's", keys(nets))
	}
	if ep, ok := nets[u+"--default"]; !ok || contains(ep.Aliases, "web") {
		t.Errorf("web on the user's network: %v (aliases %v): want it there, known by its Docker name only", ok, ep)
	}
	worker, err := h.cli.ContainerInspect(ctx, u+"--shop-worker", client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("worker container: %v", err)
	}
	if _, ok := worker.Container.NetworkSettings.Networks[u+"--default"]; ok {
		t.Errorf("the worker has no port but joined the user's network")
	}

	// The worker talks to the web by service name.
	waitLogs(t, h, u+"--shop-worker", "hello-from-web")
	// The web answers on the user's network, where the proxy reaches it.
	ip := engine.IPOn(web.Container, u+"--default")
	if body := get(t, "http://"+ip.String()+"/"); !strings.Contains(body, "hello-from-web") {
		t.Errorf("web on %s answered %q", ip, body)
	}

	st, err := call[msg.Stack](t, h, alice, subjects.StackGet, msg.StackRef{Name: "shop"})
	if err != nil || st.Status != "running" || st.Username != u || len(st.Volumes) != 1 || st.Volumes[0] != "shop-data" {
		t.Fatalf("get: %+v, %v", st, err)
	}
	for _, svc := range st.Services {
		if svc.State != "running" || len(svc.Containers) != 1 || svc.Containers[0].Name != "shop-"+svc.Name {
			t.Errorf("service %+v", svc)
		}
		if svc.Name == "web" && (len(svc.Containers[0].Ports) != 1 || svc.Containers[0].Ports[0].Container != 80) {
			t.Errorf("web ports %+v", svc.Containers[0].Ports)
		}
	}
	if l, err := call[msg.StackList](t, h, alice, subjects.StackList, msg.StackListRequest{}); err != nil || len(l.Stacks) != 1 || l.Stacks[0].Name != "shop" {
		t.Errorf("list: %+v, %v", l, err)
	}
	// Bob sees nothing of it and cannot take it down.
	if _, err := call[msg.Stack](t, h, bob, subjects.StackGet, msg.StackRef{Name: "shop"}); apierr.From(err) == nil || apierr.From(err).Code != apierr.CodeNotFound {
		t.Errorf("bob get: %v, want not found", err)
	}
	if _, err := call[msg.StackDownResult](t, h, bob, subjects.StackDown, msg.StackRef{Name: "shop"}); apierr.From(err) == nil || apierr.From(err).Code != apierr.CodeNotFound {
		t.Errorf("bob down: %v, want not found", err)
	}
	if l, err := call[msg.StackList](t, h, bob, subjects.StackList, msg.StackListRequest{All: true}); err != nil || len(l.Stacks) != 0 {
		t.Errorf("bob list: %+v, %v", l, err)
	}

	// Down keeps the volume (data) unless asked; then nothing of the stack is left.
	down, err := call[msg.StackDownResult](t, h, alice, subjects.StackDown, msg.StackRef{Name: "shop"})
	if err != nil || down.Containers != 2 || len(down.Networks) != 1 || len(down.Volumes) != 0 {
		t.Fatalf("down: %+v, %v", down, err)
	}
	if cs, ns, vs := owned(t, h, alice.UserID, "shop"); len(cs)+len(ns) != 0 || len(vs) != 1 {
		t.Fatalf("after down: containers %v networks %v volumes %v", cs, ns, vs)
	}
	down, err = call[msg.StackDownResult](t, h, alice, subjects.StackDown, msg.StackRef{Name: "shop", Volumes: true})
	if err != nil || len(down.Volumes) != 1 {
		t.Fatalf("down with volumes: %+v, %v", down, err)
	}
	if cs, ns, vs := owned(t, h, alice.UserID, "shop"); len(cs)+len(ns)+len(vs) != 0 {
		t.Fatalf("after down with volumes: containers %v networks %v volumes %v", cs, ns, vs)
	}
	if _, err := call[msg.Stack](t, h, alice, subjects.StackGet, msg.StackRef{Name: "shop"}); apierr.From(err) == nil || apierr.From(err).Code != apierr.CodeNotFound {
		t.Errorf("get after down: %v, want not found", err)
	}
}

// TestFailedUpRollsBack: an up that fails (a container that cannot start,
// an image that cannot be pulled) fails its job with Docker's words, and
// leaves nothing it created.
func TestFailedUpRollsBack(t *testing.T) {
	h := setup(t)
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	cases := []struct{ name, compose, docker string }{
		{"container cannot start", `services:
  web:
    image: %[1]s
    command: ["sh", "-c", "exec httpd -f -p 80"]
    expose: ["80"]
    volumes: ["data:/data"]
  broken:
    image: %[1]s
    command: ["/no/such/program"]
volumes:
  data: {}
`, "no such file"},
		{"image cannot be pulled", `services:
  web:
    image: %[1]s
    command: ["sleep", "60"]
  ghost:
    image: dockeronline-test/no-such-image:1
`, "dockeronline-test/no-such-image"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			started, err := call[msg.JobStarted](t, h, alice, subjects.StackUp, msg.StackUpRequest{Name: "flaky", Compose: fmt.Sprintf(c.compose, h.image)})
			if err != nil {
				t.Fatalf("up: %v", err)
			}
			evs := finish(t, h, started.Job.ID)
			last := evs[len(evs)-1]
			if last.Type != msg.JobEventError || last.Error == nil {
				t.Fatalf("up ended %+v, want an error", last)
			}
			if !strings.Contains(last.Error.Docker+last.Error.Message, c.docker) || !strings.Contains(last.Error.Message, "removed") {
				t.Errorf("error %+v, want Docker's words about %q and the rollback", last.Error, c.docker)
			}
			if cs, ns, vs := owned(t, h, alice.UserID, "flaky"); len(cs)+len(ns)+len(vs) != 0 {
				t.Errorf("after the failed up: containers %v networks %v volumes %v", cs, ns, vs)
			}
		})
	}
}

// TestQuotaCountsTheWholeStack: an up that would take the user past a
// quota fails before Compose creates anything; a redeploy counts only
// what it adds.
func TestQuotaCountsTheWholeStack(t *testing.T) {
	h := setup(t, map[string]string{"RUNNER_QUOTA_CONTAINERS": "2", "RUNNER_QUOTA_MEMORY_MB": "600"})
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	sleeper := "  %[2]s:\n    image: %[1]s\n    command: [\"sleep\", \"3600\"]\n    stop_grace_period: 1s\n"
	up := func(compose string) msg.JobEvent {
		t.Helper()
		started, err := call[msg.JobStarted](t, h, alice, subjects.StackUp, msg.StackUpRequest{Name: "q", Compose: compose})
		if err != nil {
			t.Fatalf("up: %v", err)
		}
		evs := finish(t, h, started.Job.ID)
		return evs[len(evs)-1]
	}
	three := "services:\n" + fmt.Sprintf(sleeper, h.image, "a") + fmt.Sprintf(sleeper, h.image, "b") + fmt.Sprintf(sleeper, h.image, "c")
	if last := up(three); last.Type != msg.JobEventError || last.Error.Code != apierr.CodeQuota || last.Error.Rule != "quota" {
		t.Fatalf("three containers over a quota of two: %+v", last.Error)
	}
	if cs, ns, vs := owned(t, h, alice.UserID, "q"); len(cs)+len(ns)+len(vs) != 0 {
		t.Errorf("the refused up left containers %v networks %v volumes %v", cs, ns, vs)
	}
	two := "services:\n" + fmt.Sprintf(sleeper, h.image, "a") + fmt.Sprintf(sleeper, h.image, "b")
	if last := up(two); last.Type != msg.JobEventDone {
		t.Fatalf("two containers: %+v", last.Error)
	}
	// The same stack again needs nothing more; more memory does.
	if last := up(two); last.Type != msg.JobEventDone {
		t.Fatalf("redeploy of the same stack: %+v", last.Error)
	}
	bigger := strings.ReplaceAll(two, "stop_grace_period: 1s", "stop_grace_period: 1s\n    mem_limit: 400m")
	if last := up(bigger); last.Type != msg.JobEventError || last.Error.Code != apierr.CodeQuota || !strings.Contains(last.Error.Message, "memory") {
		t.Fatalf("2 x 400 MB over 600 MB: %+v", last.Error)
	}
	if _, err := call[msg.StackDownResult](t, h, alice, subjects.StackDown, msg.StackRef{Name: "q", Volumes: true}); err != nil {
		t.Fatal(err)
	}
}

// TestStackBuildsFromTheUpload: a build: service is built by the platform's
// builder from the upload, tagged in the user's namespace, and run.
func TestStackBuildsFromTheUpload(t *testing.T) {
	h := setup(t)
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	files := map[string]string{
		"app/Dockerfile": "FROM " + h.image + "\nCOPY msg.txt /msg.txt\nCMD [\"sh\", \"-c\", \"cat /msg.txt; sleep 3600\"]\n",
		"app/msg.txt":    "built-from-the-upload\n",
		"base.yml":       "services:\n  base:\n    command: [\"sh\", \"-c\", \"cat /msg.txt; sleep 3600\"]\n",
	}
	compose := "services:\n  app:\n    build: ./app\n    extends:\n      file: base.yml\n      service: base\n"
	started, err := call[msg.JobStarted](t, h, alice, subjects.StackUp, msg.StackUpRequest{Name: "built", Compose: compose, Context: upload(t, h, alice.UserID, files)})
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	evs := finish(t, h, started.Job.ID)
	if last := evs[len(evs)-1]; last.Type != msg.JobEventDone {
		t.Fatalf("up failed: %+v", last.Error)
	}
	steps := false
	for _, ev := range evs {
		var p msg.StackProgress
		if json.Unmarshal(ev.Progress, &p) == nil && p.Build != nil && p.Build.Service == "app" && strings.HasPrefix(p.Build.Step, "Step ") {
			steps = true
		}
	}
	if !steps {
		t.Errorf("no build log in the job's progress")
	}
	tag := alice.Username + "/built-app:latest"
	img, err := h.cli.ImageInspect(context.Background(), tag)
	if err != nil {
		t.Fatalf("built image %s: %v", tag, err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		if cs, err := h.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("ancestor", tag)}); err == nil {
			for _, c := range cs.Items {
				_, _ = h.cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true})
			}
		}
		_, _ = h.cli.ImageRemove(ctx, tag, client.ImageRemoveOptions{Force: true, PruneChildren: true})
	})
	if img.Config.Labels[policy.LabelOwner] != alice.UserID {
		t.Errorf("image labels %v", img.Config.Labels)
	}
	waitLogs(t, h, alice.Username+"--built-app", "built-from-the-upload")
	if _, err := call[msg.StackDownResult](t, h, alice, subjects.StackDown, msg.StackRef{Name: "built", Volumes: true}); err != nil {
		t.Fatal(err)
	}

	// A failing build fails the job with the service, the step and
	// Docker's words, before Compose creates anything.
	files["app/Dockerfile"] = "FROM " + h.image + "\nRUN cat /no/such/file\n"
	started, err = call[msg.JobStarted](t, h, alice, subjects.StackUp, msg.StackUpRequest{Name: "broken", Compose: compose, Context: upload(t, h, alice.UserID, files)})
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	evs = finish(t, h, started.Job.ID)
	last := evs[len(evs)-1]
	if last.Type != msg.JobEventError || !strings.Contains(last.Error.Message, `service "app"`) ||
		!strings.Contains(last.Error.Message, "RUN cat /no/such/file") || !strings.Contains(last.Error.Docker, "non-zero code") {
		t.Fatalf("failed build: %+v", last.Error)
	}
	if cs, ns, vs := owned(t, h, alice.UserID, "broken"); len(cs)+len(ns)+len(vs) != 0 {
		t.Errorf("the failed build left containers %v networks %v volumes %v", cs, ns, vs)
	}
}

func waitLogs(t *testing.T, h *harness, container, want string) {
	t.Helper()
	dockertest.WaitLogs(t, h.cli, container, want)
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

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
