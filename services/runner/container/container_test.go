package container_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/runner/runnertest"
	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go"
)

type harness struct {
	t     *testing.T
	nc    *nats.Conn
	image string
	cli   *client.Client
}

func setup(t *testing.T, env ...map[string]string) *harness {
	t.Helper()
	cli := dockertest.Client(t)
	img := dockertest.BusyboxImage(t, cli)
	srv := natstest.Server(t)
	runnertest.Start(t, srv.ClientURL(), env...)
	return &harness{t: t, nc: natstest.Connect(t, srv), image: img, cli: cli}
}

func call[Resp any](h *harness, c identity.Caller, op subjects.RunnerOp, req any) (Resp, error) {
	ctx, cancel := context.WithTimeout(identity.With(context.Background(), c), time.Minute)
	defer cancel()
	return bus.Request[Resp](ctx, h.nc, subjects.RunnerRequestSubject(op), req)
}

func sleeper(name, image string) msg.ContainerSpec {
	return msg.ContainerSpec{Name: name, Image: image, Cmd: []string{"sleep", "3600"}}
}

func TestLifecycleAndTenancy(t *testing.T) {
	h := setup(t)
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	bob := runnertest.NewUser(t, h.cli, identity.RoleUser)

	c, err := call[msg.Container](h, alice, subjects.ContainerCreate, msg.ContainerCreate{Spec: sleeper("web", h.image)})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if c.State != "running" || c.Name != "web" || c.DockerName != alice.Username+"--web" || c.Owner != alice.UserID {
		t.Fatalf("created %+v", c)
	}

	// Bob may use the same name: names are per user.
	if _, err := call[msg.Container](h, bob, subjects.ContainerCreate, msg.ContainerCreate{Spec: sleeper("web", h.image)}); err != nil {
		t.Fatalf("bob create web: %v", err)
	}

	// Docker applied the platform's limits and hardening.
	in, err := h.cli.ContainerInspect(context.Background(), c.ID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hc := in.Container.HostConfig
	if hc.Memory != 256<<20 || hc.NanoCPUs != 5e8 || hc.PidsLimit == nil || *hc.PidsLimit != 256 {
		t.Errorf("limits not applied: mem %d cpu %d pids %v", hc.Memory, hc.NanoCPUs, hc.PidsLimit)
	}
	if len(hc.SecurityOpt) != 1 || hc.SecurityOpt[0] != "no-new-privileges:true" {
		t.Errorf("security opts %v", hc.SecurityOpt)
	}
	if string(hc.NetworkMode) != alice.Username+"--default" {
		t.Errorf("network %s", hc.NetworkMode)
	}

	list, err := call[msg.ContainerList](h, alice, subjects.ContainerList, msg.ContainerListRequest{})
	if err != nil || len(list.Containers) != 1 || list.Containers[0].ID != c.ID {
		t.Fatalf("alice list = %+v, %v", list, err)
	}

	// Bob cannot see or touch Alice's container, even by its Docker id.
	bobList, _ := call[msg.ContainerList](h, bob, subjects.ContainerList, msg.ContainerListRequest{All: true})
	for _, bc := range bobList.Containers {
		if bc.Owner != bob.UserID {
			t.Fatalf("bob sees %+v", bc)
		}
	}
	for _, name := range []string{c.ID, c.DockerName} {
		_, err := call[msg.Container](h, bob, subjects.ContainerStop, msg.ContainerRef{Name: name})
		assertCode(t, "bob stops "+name, err, apierr.CodeNotFound)
	}
	_, err = call[msg.Container](h, bob, subjects.ContainerGet, msg.ContainerRef{Name: "web", Owner: alice.UserID})
	assertCode(t, "bob names alice as owner", err, apierr.CodeForbidden)

	stopped, err := call[msg.Container](h, alice, subjects.ContainerStop, msg.ContainerRef{Name: "web"})
	if err != nil || stopped.State != "exited" {
		t.Fatalf("stop: %+v %v", stopped, err)
	}
	started, err := call[msg.Container](h, alice, subjects.ContainerStart, msg.ContainerRef{Name: "web"})
	if err != nil || started.State != "running" {
		t.Fatalf("start: %+v %v", started, err)
	}
	_, err = call[msg.Empty](h, alice, subjects.ContainerRemove, msg.ContainerRef{Name: "web"})
	assertCode(t, "remove running without force", err, apierr.CodeConflict)
	if _, err := call[msg.Empty](h, alice, subjects.ContainerRemove, msg.ContainerRef{Name: "web", Force: true}); err != nil {
		t.Fatalf("remove: %v", err)
	}
	_, err = call[msg.Container](h, alice, subjects.ContainerGet, msg.ContainerRef{Name: "web"})
	assertCode(t, "get after remove", err, apierr.CodeNotFound)

	// An admin sees everyone's containers.
	admin := runnertest.NewUser(t, h.cli, identity.RoleAdmin)
	all, err := call[msg.ContainerList](h, admin, subjects.ContainerList, msg.ContainerListRequest{All: true})
	if err != nil || !hasOwner(all, bob.UserID) {
		t.Fatalf("admin list all: %v (bob's container missing)", err)
	}
}

func hasOwner(l msg.ContainerList, owner string) bool {
	for _, c := range l.Containers {
		if c.Owner == owner {
			return true
		}
	}
	return false
}

func TestBadInputLeavesNothing(t *testing.T) {
	h := setup(t)
	u := runnertest.NewUser(t, h.cli, identity.RoleUser)
	if _, err := call[msg.Container](h, u, subjects.ContainerCreate, msg.ContainerCreate{Spec: sleeper("taken", h.image)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		spec       msg.ContainerSpec
		code       apierr.Code
		rule       string
		wantDocker bool
	}{
		{"unknown image", sleeper("x1", "no-such-image-dockeronline:1"), apierr.CodeInvalid, "", true},
		{"bad name", sleeper("Bad_Name", h.image), apierr.CodeInvalid, "name", false},
		{"missing name", sleeper("", h.image), apierr.CodeInvalid, "name", false},
		{"missing image", sleeper("x2", ""), apierr.CodeInvalid, "image-reference", false},
		{"bad image reference", sleeper("x3", "UPPER::case"), apierr.CodeInvalid, "image-reference", false},
		{"duplicate name", sleeper("taken", h.image), apierr.CodeConflict, "", true},
		{"command not found", msg.ContainerSpec{Name: "x4", Image: h.image, Cmd: []string{"/no/such/binary"}}, apierr.CodeInvalid, "", true},
		{"bad env", msg.ContainerSpec{Name: "x5", Image: h.image, Env: []string{"NOEQUALS"}}, apierr.CodeInvalid, "env-format", false},
		{"bad restart", msg.ContainerSpec{Name: "x6", Image: h.image, RestartPolicy: "sometimes"}, apierr.CodeInvalid, "restart-policy", false},
		{"memory above max", msg.ContainerSpec{Name: "x7", Image: h.image, MemoryMB: 1 << 20}, apierr.CodeInvalid, "memory-limit", false},
		{"bad port", msg.ContainerSpec{Name: "x8", Image: h.image, Ports: []msg.PortSpec{{Container: 70000}}}, apierr.CodeInvalid, "port-range", false},
		{"reserved label", msg.ContainerSpec{Name: "x9", Image: h.image, Labels: map[string]string{"dockeronline.owner": "someone"}}, apierr.CodePolicy, "reserved-label", false},
		{"volume target relative", msg.ContainerSpec{Name: "x10", Image: h.image, Volumes: []msg.VolumeMount{{Volume: "data", Target: "data"}}}, apierr.CodeInvalid, "volume-target", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := call[msg.Container](h, u, subjects.ContainerCreate, msg.ContainerCreate{Spec: tt.spec})
			ae := assertCode(t, tt.name, err, tt.code)
			if ae == nil {
				return
			}
			if ae.Rule != tt.rule {
				t.Errorf("rule %q, want %q (%s)", ae.Rule, tt.rule, ae.Message)
			}
			if tt.wantDocker && ae.Docker == "" {
				t.Errorf("Docker's text missing: %+v", ae)
			}
		})
	}
	// Only the first, valid container exists: nothing half-made remains.
	list, err := call[msg.ContainerList](h, u, subjects.ContainerList, msg.ContainerListRequest{})
	if err != nil || len(list.Containers) != 1 || list.Containers[0].Name != "taken" {
		t.Fatalf("after bad input: %+v %v", list.Containers, err)
	}
}

func TestCreateIsIdempotentByRequestID(t *testing.T) {
	h := setup(t)
	u := runnertest.NewUser(t, h.cli, identity.RoleUser)
	req := msg.ContainerCreate{RequestID: "req-42", Spec: sleeper("once", h.image)}
	first, err := call[msg.Container](h, u, subjects.ContainerCreate, req)
	if err != nil {
		t.Fatal(err)
	}
	// The same command retried, several times and concurrently.
	errs := make(chan error, 5)
	ids := make(chan string, 5)
	for range 5 {
		go func() {
			c, err := call[msg.Container](h, u, subjects.ContainerCreate, req)
			errs <- err
			ids <- c.ID
		}()
	}
	for range 5 {
		if err := <-errs; err != nil {
			t.Fatalf("retry: %v", err)
		}
		if id := <-ids; id != first.ID {
			t.Fatalf("retry made another container %s (first %s)", id, first.ID)
		}
	}
	list, _ := call[msg.ContainerList](h, u, subjects.ContainerList, msg.ContainerListRequest{})
	if len(list.Containers) != 1 {
		t.Fatalf("%d containers after retries, want 1", len(list.Containers))
	}
}

func TestNamedVolumeSurvivesRecreate(t *testing.T) {
	h := setup(t)
	u := runnertest.NewUser(t, h.cli, identity.RoleUser)
	spec := msg.ContainerSpec{Name: "writer", Image: h.image, Cmd: []string{"sh", "-c", "echo kept > /data/f; sleep 3600"},
		Volumes: []msg.VolumeMount{{Volume: "data", Target: "/data"}}}
	if _, err := call[msg.Container](h, u, subjects.ContainerCreate, msg.ContainerCreate{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	if _, err := call[msg.Empty](h, u, subjects.ContainerRemove, msg.ContainerRef{Name: "writer", Force: true}); err != nil {
		t.Fatal(err)
	}
	reader := msg.ContainerSpec{Name: "reader", Image: h.image, Cmd: []string{"sh", "-c", "cat /data/f; sleep 3600"},
		Volumes: []msg.VolumeMount{{Volume: "data", Target: "/data", ReadOnly: true}}}
	c, err := call[msg.Container](h, u, subjects.ContainerCreate, msg.ContainerCreate{Spec: reader})
	if err != nil {
		t.Fatal(err)
	}
	out := dockertest.WaitLogs(t, h.cli, c.ID, "kept")
	if out == "" {
		t.Fatal("volume data did not survive")
	}
}

func assertCode(t *testing.T, what string, err error, code apierr.Code) *apierr.Error {
	t.Helper()
	var ae *apierr.Error
	if !errors.As(err, &ae) {
		t.Errorf("%s: got %v, want %s", what, err, code)
		return nil
	}
	if ae.Code != code {
		t.Errorf("%s: code %s, want %s (%s)", what, ae.Code, code, ae.Error())
	}
	return ae
}
