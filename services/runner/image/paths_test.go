package image_test

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/dockeronline/platform/pkg/testenv"
	"github.com/dockeronline/platform/services/runner/image"
	"github.com/dockeronline/platform/services/runner/policy"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// runner is the whole runner, in-process, for the paths other than the
// images API that use images: container create, build and stack up.
type runner struct {
	t   *testing.T
	cli *client.Client
	nc  *nats.Conn
	js  jetstream.JetStream
}

func startRunner(t *testing.T) *runner {
	t.Helper()
	cli := dockertest.Client(t)
	dockertest.BusyboxImage(t, cli)
	srv := natstest.Server(t)
	runnertest.Start(t, srv.ClientURL()) // no registry is allowed internally
	nc := natstest.Connect(t, srv)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return &runner{t: t, cli: cli, nc: nc, js: js}
}

func (r *runner) call(c identity.Caller, op subjects.RunnerOp, req any) error {
	ctx, cancel := context.WithTimeout(identity.With(context.Background(), c), time.Minute)
	defer cancel()
	_, err := bus.Request[jsonAny](ctx, r.nc, subjects.RunnerRequestSubject(op), req)
	return err
}

type jsonAny = map[string]any

// build builds name as c through the build API and returns the image id.
func (r *runner) build(c identity.Caller, name, dockerfile string) (string, string) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(identity.With(context.Background(), c), 4*time.Minute)
	defer cancel()
	tag := c.Username + "/" + name + ":latest"
	r.t.Cleanup(func() {
		// Forced: the user's containers on it may still be there.
		_, _ = r.cli.ImageRemove(context.Background(), tag, client.ImageRemoveOptions{Force: true, PruneChildren: true})
	})
	started, err := bus.Request[msg.JobStarted](ctx, r.nc, subjects.RunnerRequestSubject(subjects.BuildStart), msg.BuildRequest{Name: name, Dockerfile: dockerfile})
	if err != nil {
		r.t.Fatalf("build %s: %v", tag, err)
	}
	w, err := jobs.Watch(ctx, r.js, started.Job.ID)
	if err != nil {
		r.t.Fatal(err)
	}
	var last msg.JobEvent
	for ev := range w {
		last = ev
	}
	if last.Type != msg.JobEventDone {
		r.t.Fatalf("build %s ended %+v", tag, last)
	}
	in, err := r.cli.ImageInspect(context.Background(), tag)
	if err != nil {
		r.t.Fatal(err)
	}
	return tag, in.ID
}

// refused checks that err is the refusal wanted: code, and rule if set.
func refused(t *testing.T, what string, err error, code apierr.Code, rule string) {
	t.Helper()
	var ae *apierr.Error
	if !errors.As(err, &ae) || ae.Code != code || rule != "" && ae.Rule != rule {
		t.Errorf("%s: %v, want %s %s", what, err, code, rule)
	}
}

// Another tenant's image is "not found" on every path that uses images,
// whatever it is called: tag, id, bare id, short id, digest.
func TestAnotherTenantsImageOnEveryPath(t *testing.T) {
	r := startRunner(t)
	alice := runnertest.NewUser(t, r.cli, identity.RoleUser)
	bob := runnertest.NewUser(t, r.cli, identity.RoleUser)
	tag, id := r.build(alice, "secret", "FROM "+dockertest.BusyboxTag+"\nRUN echo alice-secret > /secret\nCMD [\"sleep\", \"3600\"]\n")
	hex := strings.TrimPrefix(id, "sha256:")
	// A digest names her repository: not on the host under that name, so
	// it would be a pull into her namespace (image-namespace). A bare id
	// is no reference at all to the container API (image-reference).
	nf := apierr.CodeNotFound
	names := []struct{ what, ref string }{
		{"tag", tag}, {"id", id}, {"bare id", hex}, {"short id", hex[:12]}, {"digest", alice.Username + "/secret@" + id},
	}

	// Alice uses her build by name and by id.
	for i, ref := range []string{tag, hex[:12]} {
		spec := msg.ContainerSpec{Name: fmt.Sprintf("own%d", i), Image: ref, Cmd: []string{"sleep", "3600"}}
		if err := r.call(alice, subjects.ContainerCreate, msg.ContainerCreate{Spec: spec}); err != nil {
			t.Errorf("alice runs her build as %s: %v", ref, err)
		}
	}
	for _, n := range names {
		t.Run(n.what, func(t *testing.T) {
			want := func(path string) (apierr.Code, string) {
				switch {
				case n.what == "digest":
					return apierr.CodePolicy, image.RuleNamespace
				case n.what == "bare id" && path == "container create":
					return apierr.CodeInvalid, policy.RuleImage
				}
				return nf, ""
			}
			ref := n.ref
			for _, p := range []struct {
				path string
				op   subjects.RunnerOp
				req  any
			}{
				{"container create", subjects.ContainerCreate, msg.ContainerCreate{Spec: msg.ContainerSpec{Name: "steal", Image: ref}}},
				{"build FROM", subjects.BuildStart, msg.BuildRequest{Name: "steal", Dockerfile: "FROM " + ref + "\n"}},
				{"COPY --from", subjects.BuildStart, msg.BuildRequest{Name: "steal", Dockerfile: "FROM " + dockertest.BusyboxTag + "\nCOPY --from=" + ref + " /secret /secret\n"}},
				{"compose image:", subjects.StackUp, msg.StackUpRequest{Name: "steal", Compose: "services:\n  web:\n    image: \"" + ref + "\"\n"}},
			} {
				code, rule := want(p.path)
				refused(t, p.path, r.call(bob, p.op, p.req), code, rule)
			}
		})
	}
	// Nothing of bob's exists on her image, and no image of his was built.
	cs, err := r.cli.ContainerList(context.Background(), client.ContainerListOptions{All: true,
		Filters: make(client.Filters).Add("label", policy.LabelOwner+"="+bob.UserID)})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs.Items) != 0 {
		t.Errorf("bob has containers: %+v", cs.Items)
	}
	if _, err := r.cli.ImageInspect(context.Background(), bob.Username+"/steal:latest"); err == nil {
		t.Error("bob built an image from alice's")
	}
}

// Every path that can make the engine pull refuses internal registries,
// and the bait there is never reached.
func TestNoPathPullsFromInternalAddresses(t *testing.T) {
	r := startRunner(t)
	bait := testenv.NewBait(t)
	alice := runnertest.NewUser(t, r.cli, identity.RoleUser)
	p := fmt.Sprint(bait.Port)
	for _, ref := range []string{"127.0.0.1:" + p + "/x:1", "localhost:" + p + "/x:1", "127.0.0.1:" + p + "/x@sha256:" + strings.Repeat("b", 64)} {
		t.Run(ref, func(t *testing.T) {
			err := r.call(alice, subjects.ContainerCreate, msg.ContainerCreate{Spec: msg.ContainerSpec{Name: "ssrf", Image: ref}})
			wantRule(t, "container create", err, image.RuleInternalRegistry)
			err = r.call(alice, subjects.ImagePull, msg.ImagePullRequest{Image: ref})
			wantRule(t, "pull", err, image.RuleInternalRegistry)
			err = r.call(alice, subjects.BuildStart, msg.BuildRequest{Name: "ssrf", Dockerfile: "FROM " + ref + "\n"})
			wantRule(t, "build FROM", err, image.RuleInternalRegistry)
			err = r.call(alice, subjects.BuildStart, msg.BuildRequest{Name: "ssrf", Dockerfile: "FROM " + dockertest.BusyboxTag + "\nCOPY --from=" + ref + " / /x\n"})
			wantRule(t, "COPY --from", err, image.RuleInternalRegistry)
			err = r.call(alice, subjects.StackUp, msg.StackUpRequest{Name: "ssrf", Compose: "services:\n  web:\n    image: \"" + ref + "\"\n"})
			wantRule(t, "compose image:", err, image.RuleInternalRegistry)
		})
	}
	bait.AssertUntouched(t)
}

func wantRule(t *testing.T, what string, err error, rule string) {
	t.Helper()
	var ae *apierr.Error
	if !errors.As(err, &ae) || ae.Code != apierr.CodePolicy || ae.Rule != rule {
		t.Errorf("%s: %v, want rule %s", what, err, rule)
	}
}
