package image_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
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
	"github.com/dockeronline/platform/pkg/registrytest"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/pkg/testenv"
	"github.com/dockeronline/platform/services/runner/image"
	"github.com/dockeronline/platform/services/runner/policy"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

type harness struct {
	t   *testing.T
	cli *client.Client
	nc  *nats.Conn
	js  jetstream.JetStream
	reg *registrytest.Registry
}

// setup runs the real image server against a real engine, NATS and
// registry.
func setup(t *testing.T, opts ...func(*image.Options, *registrytest.Registry)) *harness {
	t.Helper()
	reg := registrytest.Start(t)
	// The test registry listens on loopback: allowed by configuration, as
	// an operator would, never by default.
	o := image.Options{InternalRegistries: []string{reg.Host}, Resolver: image.TestResolver}
	for _, f := range opts {
		f(&o, reg)
	}
	cli := dockertest.Client(t)
	srv := natstest.Server(t)
	nc := natstest.Connect(t, srv)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s := image.NewServer(cli, nc, js, log, o)
	ready := make(chan struct{})
	s.Ready = func() { close(ready) }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("image server: %v", err)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("image server did not start: %v", err)
	}
	return &harness{t: t, cli: cli, nc: nc, js: js, reg: reg}
}

func call[Resp any](h *harness, c identity.Caller, op subjects.RunnerOp, req any) (Resp, error) {
	ctx, cancel := context.WithTimeout(identity.With(context.Background(), c), time.Minute)
	defer cancel()
	return bus.Request[Resp](ctx, h.nc, subjects.RunnerRequestSubject(op), req)
}

func suffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// published pushes a fresh two-layer image to the registry and removes it
// from the engine, so a pull must download every new layer.
func (h *harness) published(repo string) string {
	h.t.Helper()
	src := registrytest.BuildLayered(h.t, h.cli, "dockeronline-test/src-"+suffix()+":1", 2, 1<<20)
	ref := h.reg.Push(h.t, h.cli, src, repo+"-"+suffix()+":1")
	registrytest.RemoveLocal(h.t, h.cli, ref)
	registrytest.RemoveLocal(h.t, h.cli, src)
	h.t.Cleanup(func() { registrytest.RemoveLocal(h.t, h.cli, ref) })
	return ref
}

// pull starts a pull as c and waits for its job to end.
func (h *harness) pull(c identity.Caller, ref string) (msg.JobStarted, []msg.JobEvent) {
	h.t.Helper()
	started, err := call[msg.JobStarted](h, c, subjects.ImagePull, msg.ImagePullRequest{Image: ref})
	if err != nil {
		h.t.Fatalf("pull %s: %v", ref, err)
	}
	if started.Job.State != msg.JobRunning || started.Job.Owner != c.UserID || started.Job.Kind != msg.JobImagePull || !jobs.ValidID(started.Job.ID) {
		h.t.Fatalf("started %+v", started.Job)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w, err := jobs.Watch(ctx, h.js, started.Job.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	var evs []msg.JobEvent
	for ev := range w {
		evs = append(evs, ev)
	}
	if len(evs) == 0 || !evs[len(evs)-1].Terminal() {
		h.t.Fatalf("pull job %s did not end: %+v", started.Job.ID, evs)
	}
	return started, evs
}

func (h *harness) list(c identity.Caller, all bool) []msg.Image {
	h.t.Helper()
	l, err := call[msg.ImageList](h, c, subjects.ImageList, msg.ImageListRequest{All: all})
	if err != nil {
		h.t.Fatalf("list as %s: %v", c.Username, err)
	}
	return l.Images
}

func find(imgs []msg.Image, tag string) (msg.Image, bool) {
	for _, im := range imgs {
		for _, t := range im.Tags {
			if t == tag {
				return im, true
			}
		}
	}
	return msg.Image{}, false
}

func wantCode(t *testing.T, err error, code apierr.Code) *apierr.Error {
	t.Helper()
	var ae *apierr.Error
	if !errors.As(err, &ae) || ae.Code != code {
		t.Fatalf("got %v, want %s", err, code)
	}
	return ae
}

// runOn creates a platform-labelled container of c on ref (what the
// container service does), so image removal meets a real user.
func (h *harness) runOn(c identity.Caller, name, ref string) string {
	h.t.Helper()
	ctx := context.Background()
	res, err := h.cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name: c.Username + "--" + name,
		Config: &container.Config{Image: ref, Cmd: []string{"sleep", "3600"}, Labels: map[string]string{
			policy.LabelOwner: c.UserID, policy.LabelUsername: c.Username, policy.LabelName: name,
		}},
	})
	if err != nil {
		h.t.Fatalf("create container on %s: %v", ref, err)
	}
	return res.ID
}

func TestPullListRemove(t *testing.T) {
	h := setup(t)
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	bob := runnertest.NewUser(t, h.cli, identity.RoleUser)
	ref := h.published("app")

	started, evs := h.pull(alice, ref)
	// Per-layer progress: both new layers are reported, with byte counts.
	layers := map[string]bool{}
	sized := false
	for _, ev := range evs[:len(evs)-1] {
		var p msg.LayerProgress
		if ev.Type != msg.JobEventProgress || json.Unmarshal(ev.Progress, &p) != nil {
			t.Fatalf("unexpected event %+v", ev)
		}
		if p.Status == "Pull complete" {
			layers[p.ID] = true
		}
		sized = sized || p.Total > 0 && p.Current > 0
	}
	if len(layers) < 2 || !sized {
		t.Errorf("layers completed %v, sized progress %v; events: %d", layers, sized, len(evs))
	}
	last := evs[len(evs)-1]
	var res msg.ImagePullResult
	if last.Type != msg.JobEventDone || json.Unmarshal(last.Result, &res) != nil || res.Image != ref || !strings.HasPrefix(res.Digest, "sha256:") {
		t.Fatalf("final event %+v", last)
	}
	if got, err := jobs.Get(context.Background(), h.js, started.Job.ID); err != nil || got.State != msg.JobDone {
		t.Fatalf("job after pull: %+v %v", got, err)
	}

	im, ok := find(h.list(alice, false), ref)
	if !ok || im.ID != res.ID || len(im.Pulled) != 1 || im.Pulled[0] != ref {
		t.Fatalf("alice's list lacks %s: %+v", ref, im)
	}
	if _, ok := find(h.list(bob, false), ref); ok {
		t.Fatalf("bob sees alice's pull of %s", ref)
	}
	_, err := call[msg.ImageRemoveResult](h, bob, subjects.ImageRemove, msg.ImageRef{Ref: ref})
	wantCode(t, err, apierr.CodeNotFound)

	// In use by her container: Docker refuses, in its own words.
	id := h.runOn(alice, "web", ref)
	im, _ = find(h.list(alice, false), ref)
	if len(im.Containers) != 1 || im.Containers[0] != "web" {
		t.Errorf("containers on the image: %v", im.Containers)
	}
	_, err = call[msg.ImageRemoveResult](h, alice, subjects.ImageRemove, msg.ImageRef{Ref: ref})
	ae := wantCode(t, err, apierr.CodeConflict)
	t.Logf("in use: %+v; %d events", ae, len(evs))
	if !strings.Contains(ae.Docker, "is using its referenced image") {
		t.Errorf("conflict does not quote Docker: %+v", ae)
	}
	if im, ok := find(h.list(alice, false), ref); !ok || len(im.Pulled) != 1 {
		t.Fatalf("a refused remove lost alice's reference: %+v", im)
	}

	if _, err := h.cli.ContainerRemove(context.Background(), id, client.ContainerRemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	out, err := call[msg.ImageRemoveResult](h, alice, subjects.ImageRemove, msg.ImageRef{Ref: ref})
	if err != nil || !out.Deleted {
		t.Fatalf("remove: %+v %v", out, err)
	}
	if _, err := h.cli.ImageInspect(context.Background(), ref); err == nil {
		t.Errorf("%s is still on the host", ref)
	}
	if _, ok := find(h.list(alice, false), ref); ok {
		t.Errorf("%s still listed after remove", ref)
	}
}

func TestSharedImageStaysUntilTheLastUserRemovesIt(t *testing.T) {
	h := setup(t)
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	bob := runnertest.NewUser(t, h.cli, identity.RoleUser)
	admin := runnertest.NewUser(t, h.cli, identity.RoleAdmin)
	ref := h.published("shared")
	for _, c := range []identity.Caller{alice, bob} {
		if _, evs := h.pull(c, ref); evs[len(evs)-1].Type != msg.JobEventDone {
			t.Fatalf("%s's pull: %+v", c.Username, evs[len(evs)-1])
		}
	}
	all, ok := find(h.list(admin, true), ref)
	if !ok || strings.Join(all.Users, ",") != strings.Join(sorted(alice.Username, bob.Username), ",") {
		t.Fatalf("admin's view of %s: %+v", ref, all)
	}

	out, err := call[msg.ImageRemoveResult](h, alice, subjects.ImageRemove, msg.ImageRef{Ref: ref})
	if err != nil || out.Deleted {
		t.Fatalf("alice's remove of a shared image: %+v %v", out, err)
	}
	if _, ok := find(h.list(alice, false), ref); ok {
		t.Errorf("alice still lists %s", ref)
	}
	if _, ok := find(h.list(bob, false), ref); !ok {
		t.Fatalf("bob lost %s when alice removed it", ref)
	}
	// A deleted user's references go with them.
	refs, err := image.OpenRefs(context.Background(), h.js)
	if err != nil {
		t.Fatal(err)
	}
	if dropped, err := refs.DropUser(context.Background(), bob.UserID); err != nil || len(dropped) != 1 || dropped[0] != ref {
		t.Fatalf("DropUser(bob) = %v, %v", dropped, err)
	}
	if _, ok := find(h.list(bob, false), ref); ok {
		t.Errorf("bob still lists %s after his references were dropped", ref)
	}
	if all, ok := find(h.list(admin, true), ref); !ok || len(all.Users) != 0 {
		t.Errorf("admin's view of the orphaned %s: %+v", ref, all)
	}
	out, err = call[msg.ImageRemoveResult](h, admin, subjects.ImageRemove, msg.ImageRef{Ref: ref})
	if err != nil || !out.Deleted {
		t.Fatalf("admin's remove: %+v %v", out, err)
	}
	if _, err := h.cli.ImageInspect(context.Background(), ref); err == nil {
		t.Errorf("%s is still on the host", ref)
	}
}

func sorted(a, b string) []string {
	if a > b {
		return []string{b, a}
	}
	return []string{a, b}
}

func TestPullErrorsQuoteDocker(t *testing.T) {
	dead := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t)) // nobody listens there
	h := setup(t, func(o *image.Options, _ *registrytest.Registry) {
		o.InternalRegistries = append(o.InternalRegistries, dead)
	})
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)

	// Refused at once: malformed references, in the parser's own words.
	for _, bad := range []string{"", "Alice/App:1", "app:bad tag", "app@sha256:short"} {
		_, err := call[msg.JobStarted](h, alice, subjects.ImagePull, msg.ImagePullRequest{Image: bad})
		ae := wantCode(t, err, apierr.CodeInvalid)
		if bad != "" && !strings.Contains(ae.Docker, "invalid") {
			t.Errorf("pull %q: %+v does not quote the reference parser", bad, ae)
		}
	}

	// Failed jobs: what Docker says about a missing tag, and about a
	// registry nobody listens on.
	cases := []struct {
		ref  string
		code apierr.Code
		text string
	}{
		{h.reg.Ref("nothing-here:nope"), apierr.CodeNotFound, "not found"},
		{dead + "/app:1", apierr.CodeUnavailable, "connection refused"},
	}
	for _, c := range cases {
		_, evs := h.pull(alice, c.ref)
		last := evs[len(evs)-1]
		t.Logf("pull %s: %+v", c.ref, last.Error)
		if last.Type != msg.JobEventError || last.Error.Code != c.code || !strings.Contains(last.Error.Docker, c.text) {
			t.Errorf("pull %s ended %+v, want %s quoting %q", c.ref, last.Error, c.code, c.text)
		}
	}
	if imgs := h.list(alice, false); len(imgs) != 0 {
		t.Errorf("failed pulls left images: %+v", imgs)
	}
}

// access is the image access rules over the harness's engine and bucket,
// with its pull rules: what the container, build and stack paths ask.
func (h *harness) access() *image.Access {
	return image.NewAccess(h.cli, h.js, image.Options{InternalRegistries: []string{h.reg.Host}, Resolver: image.TestResolver})
}

// builtBy builds an image tagged tag as the build path does for owner, and
// records it with the function the build path calls. It is labelled as
// labels say, which must not matter.
func (h *harness) builtBy(owner identity.Caller, tag string, labels map[string]string) string {
	h.t.Helper()
	df := "FROM " + dockertest.BusyboxImage(h.t, h.cli) + "\nRUN echo " + owner.Username + "-secret > /secret\n"
	for k, v := range labels {
		df += "LABEL " + k + "=" + v + "\n"
	}
	dockertest.BuildImage(h.t, h.cli, tag, map[string][]byte{"Dockerfile": []byte(df)})
	h.t.Cleanup(func() { registrytest.RemoveLocal(h.t, h.cli, tag) })
	in, err := h.cli.ImageInspect(context.Background(), tag)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.access().RecordBuild(context.Background(), owner.UserID, owner.Username, tag, in.ID); err != nil {
		h.t.Fatal(err)
	}
	return in.ID
}

func TestBuiltImagesStayInTheirOwnersNamespace(t *testing.T) {
	h := setup(t)
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	bob := runnertest.NewUser(t, h.cli, identity.RoleUser)
	admin := runnertest.NewUser(t, h.cli, identity.RoleAdmin)
	acc := h.access()
	ctx := context.Background()

	// Alice's build (issue 4), labelled as if it were bob's: labels an
	// image carries say nothing about whose it is.
	tag := alice.Username + "/app:1"
	id := h.builtBy(alice, tag, map[string]string{policy.LabelOwner: bob.UserID, policy.LabelUsername: bob.Username})
	hex := strings.TrimPrefix(id, "sha256:")

	if im, ok := find(h.list(alice, false), tag); !ok || im.Owner != alice.UserID {
		t.Fatalf("alice's list lacks her build: %+v", h.list(alice, false))
	}
	for _, im := range h.list(bob, false) {
		if im.ID == id {
			t.Fatalf("bob sees alice's build (it is labelled his): %+v", im)
		}
	}
	cases := []struct {
		name string
		err  error
		code apierr.Code
	}{
		{"bob removes it", second(call[msg.ImageRemoveResult](h, bob, subjects.ImageRemove, msg.ImageRef{Ref: tag})), apierr.CodeNotFound},
		{"bob runs it by name", acc.MayUse(ctx, bob, tag), apierr.CodeNotFound},
		{"bob runs it by id", acc.MayUse(ctx, bob, id), apierr.CodeNotFound},
		{"bob runs it by bare id", acc.MayUse(ctx, bob, hex), apierr.CodeNotFound},
		{"bob runs it by short id", acc.MayUse(ctx, bob, hex[:12]), apierr.CodeNotFound},
		{"bob runs it by digest", acc.MayUse(ctx, bob, alice.Username+"/app@"+id), apierr.CodePolicy},
		{"bob pulls over it", second(call[msg.JobStarted](h, bob, subjects.ImagePull, msg.ImagePullRequest{Image: tag})), apierr.CodePolicy},
		{"bob pulls into her namespace", second(call[msg.JobStarted](h, bob, subjects.ImagePull, msg.ImagePullRequest{Image: alice.Username + "/other:1"})), apierr.CodePolicy},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ae := wantCode(t, c.err, c.code)
			if c.code == apierr.CodePolicy && ae.Rule != image.RuleNamespace {
				t.Errorf("rule %q, want %s", ae.Rule, image.RuleNamespace)
			}
		})
	}
	for _, ref := range []string{tag, id, hex[:12]} {
		if err := acc.MayUse(ctx, alice, ref); err != nil {
			t.Errorf("alice may not use her own build as %s: %v", ref, err)
		}
		if err := acc.MayUse(ctx, admin, ref); err != nil {
			t.Errorf("an admin may not use alice's build as %s: %v", ref, err)
		}
	}
	if im, ok := find(h.list(admin, true), tag); !ok || im.Owner != alice.UserID {
		t.Errorf("admin's view of alice's build: %+v", im)
	}
	out, err := call[msg.ImageRemoveResult](h, alice, subjects.ImageRemove, msg.ImageRef{Ref: tag})
	if err != nil || !out.Deleted {
		t.Fatalf("alice removes her build: %+v %v", out, err)
	}
}

// An image anyone can push can carry any label: pulled, it is the puller's
// reference to a public image, never the build of the user it names.
func TestLabelsOnAPulledImageOwnNothing(t *testing.T) {
	h := setup(t)
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	mallory := runnertest.NewUser(t, h.cli, identity.RoleUser)
	src := "dockeronline-test/forged-" + suffix() + ":1"
	dockertest.BuildImage(t, h.cli, src, map[string][]byte{"Dockerfile": []byte(fmt.Sprintf("FROM %s\nLABEL %s=%s %s=%s\n",
		dockertest.BusyboxImage(t, h.cli), policy.LabelOwner, alice.UserID, policy.LabelUsername, alice.Username))})
	ref := h.reg.Push(t, h.cli, src, "forged-"+suffix()+":1")
	registrytest.RemoveLocal(t, h.cli, ref)
	registrytest.RemoveLocal(t, h.cli, src)
	t.Cleanup(func() { registrytest.RemoveLocal(t, h.cli, ref) })

	if _, evs := h.pull(mallory, ref); evs[len(evs)-1].Type != msg.JobEventDone {
		t.Fatalf("mallory's pull: %+v", evs[len(evs)-1])
	}
	if im, ok := find(h.list(alice, false), ref); ok {
		t.Errorf("alice lists an image she never pulled nor built, because of its labels: %+v", im)
	}
	if im, ok := find(h.list(mallory, false), ref); !ok || im.Owner != "" || len(im.Pulled) != 1 {
		t.Errorf("mallory's view of her pull: %+v", im)
	}
	_, err := call[msg.ImageRemoveResult](h, alice, subjects.ImageRemove, msg.ImageRef{Ref: ref})
	wantCode(t, err, apierr.CodeNotFound)
	if all, ok := find(h.list(runnertest.NewUser(t, h.cli, identity.RoleAdmin), true), ref); !ok || all.Owner != "" {
		t.Errorf("admin's view names an owner from labels: %+v", all)
	}
}

// A pull makes the Docker host connect where the reference says: no
// spelling of an internal address gets it there, for users or admins, and
// the bait listening there is never reached.
func TestPullsNeverReachInternalAddresses(t *testing.T) {
	h := setup(t)
	bait := testenv.NewBait(t)
	bait6 := testenv.NewBaitOn(t, "[::1]:0")
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	admin := runnertest.NewUser(t, h.cli, identity.RoleAdmin)
	p, p6 := fmt.Sprint(bait.Port), fmt.Sprint(bait6.Port)
	refs := []string{
		"127.0.0.1:" + p + "/x", "localhost:" + p + "/x", "[::1]:" + p6 + "/x", "[0:0:0:0:0:0:0:1]:" + p6 + "/x",
		"127.1:" + p + "/x", "0x7f000001:" + p + "/x", "2130706433:" + p + "/x", "127.0.0.1.nip.io:" + p + "/x",
		"rebind.example:" + p + "/x", "metadata.example/latest/meta-data", "nowhere.example:" + p + "/x",
		"127.0.0.1:" + p + "/x@sha256:" + strings.Repeat("a", 64),
	}
	for _, c := range []identity.Caller{alice, admin} {
		for _, ref := range refs {
			_, err := call[msg.JobStarted](h, c, subjects.ImagePull, msg.ImagePullRequest{Image: ref})
			if ae := wantCode(t, err, apierr.CodePolicy); ae.Rule != image.RuleInternalRegistry {
				t.Errorf("%s pulls %s: rule %q, want %s", c.Username, ref, ae.Rule, image.RuleInternalRegistry)
			}
			if err := h.access().MayUse(context.Background(), c, ref); apierr.From(err).Rule != image.RuleInternalRegistry {
				t.Errorf("%s may use (auto-pull) %s: %v", c.Username, ref, err)
			}
		}
	}
	if imgs := h.list(alice, false); len(imgs) != 0 {
		t.Errorf("refused pulls left images: %+v", imgs)
	}
	// The bait must have stayed silent (checked again at cleanup).
	bait.AssertUntouched(t)
	bait6.AssertUntouched(t)
}

func second[T any](_ T, err error) error { return err }

func TestPullsOnlyFromAllowedRegistries(t *testing.T) {
	h := setup(t, func(o *image.Options, reg *registrytest.Registry) { o.Registries = []string{reg.Host} })
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	for _, ref := range []string{"busybox", "127.0.0.2:5000/app:1", "registry.example/app:1"} {
		_, err := call[msg.JobStarted](h, alice, subjects.ImagePull, msg.ImagePullRequest{Image: ref})
		if ae := wantCode(t, err, apierr.CodePolicy); ae.Rule != image.RuleRegistry {
			t.Errorf("pull %s refused by rule %q, want %s", ref, ae.Rule, image.RuleRegistry)
		}
	}
	// The allowed registry is asked (and says it has no such tag).
	_, evs := h.pull(alice, h.reg.Ref("absent:1"))
	if last := evs[len(evs)-1]; last.Type != msg.JobEventError || last.Error.Code != apierr.CodeNotFound {
		t.Errorf("pull from the allowed registry ended %+v", last.Error)
	}
}

// A tag moves when its owner builds: a reference another user recorded
// under that name earlier (a pull from Docker Hub before the namespace's
// user first built) does not follow it to the build.
func TestAStaleReferenceDoesNotFollowATagIntoAnotherNamespace(t *testing.T) {
	h := setup(t)
	bob := runnertest.NewUser(t, h.cli, identity.RoleUser)
	mallory := runnertest.NewUser(t, h.cli, identity.RoleUser)
	tag := bob.Username + "/x:1"
	refs, err := image.OpenRefs(context.Background(), h.js)
	if err != nil {
		t.Fatal(err)
	}
	// What mallory's pull of the name recorded, before bob claimed it.
	if err := refs.Put(context.Background(), image.Ref{Ref: tag, ImageID: "sha256:" + strings.Repeat("0", 64), Owner: mallory.UserID, Username: mallory.Username, Pulled: time.Now()}); err != nil {
		t.Fatal(err)
	}
	id := h.builtBy(bob, tag, nil)

	if err := h.access().MayUse(context.Background(), mallory, tag); apierr.From(err).Code != apierr.CodeNotFound {
		t.Errorf("mallory may use bob's build through her old reference: %v", err)
	}
	for _, im := range h.list(mallory, false) {
		if im.ID == id {
			t.Errorf("mallory lists bob's build: %+v", im)
		}
	}
	_, err = call[msg.ImageRemoveResult](h, mallory, subjects.ImageRemove, msg.ImageRef{Ref: tag})
	wantCode(t, err, apierr.CodeNotFound)
	if _, err := h.cli.ImageInspect(context.Background(), tag); err != nil {
		t.Errorf("mallory's remove took bob's build: %v", err)
	}
	if im, ok := find(h.list(bob, false), tag); !ok || im.ID != id || im.Owner != bob.UserID {
		t.Errorf("bob's view of his build: %+v", im)
	}
}
