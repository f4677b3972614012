package main_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/pkg/testenv"
	"github.com/dockeronline/platform/services/runner/policy"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// buildRunner compiles this command once for the test.
func buildRunner(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "runner")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func startRunner(t *testing.T, bin string, env []string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
	})
	return cmd
}

// TestRunnerKilledMidCreate: the runner is killed with SIGKILL the moment
// Docker reports the container created (before or while it is started);
// the gateway's retry of the same command, served by a fresh runner,
// yields exactly one running container.
func TestRunnerKilledMidCreate(t *testing.T) {
	cli := dockertest.Client(t)
	img := dockertest.BusyboxImage(t, cli)
	srv := natstest.Server(t)
	nc := natstest.Connect(t, srv)
	bin := buildRunner(t)
	env := []string{"NATS_URL=" + srv.ClientURL(), "HTTP_ADDR=127.0.0.1:0", "DATABASE_URL=" + testenv.Postgres(t), "LOG_LEVEL=warn"}
	u := runnertest.NewUser(t, cli, identity.RoleUser)
	ctx := identity.With(context.Background(), u)
	reqID := fmt.Sprintf("crash-%d", time.Now().UnixNano())
	create := msg.ContainerCreate{RequestID: reqID, Spec: msg.ContainerSpec{Name: "survivor", Image: img, Cmd: []string{"sleep", "600"}}}
	subject := subjects.RunnerRequestSubject(subjects.ContainerCreate)

	// Watch Docker for the create, to kill the runner right then.
	evCtx, stopEvents := context.WithCancel(context.Background())
	defer stopEvents()
	evs := cli.Events(evCtx, client.EventsListOptions{Filters: make(client.Filters).
		Add("type", string(events.ContainerEventType)).Add("event", "create").
		Add("label", policy.LabelRequest+"="+reqID)})

	first := startRunner(t, bin, env)
	natstest.WaitServing(t, srv.ClientURL(), subjects.RunnerRequestSubject(subjects.ContainerList), msg.ContainerListRequest{})
	go func() {
		short, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		_, _ = bus.Request[msg.Container](short, nc, subject, create) // dies with the runner
	}()
	select {
	case <-evs.Messages:
		_ = first.Process.Signal(syscall.SIGKILL)
	case err := <-evs.Err:
		t.Fatalf("docker events: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("the container was never created")
	}
	_, _ = first.Process.Wait()

	startRunner(t, bin, env)
	natstest.WaitServing(t, srv.ClientURL(), subjects.RunnerRequestSubject(subjects.ContainerList), msg.ContainerListRequest{})
	retryCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	c, err := bus.Request[msg.Container](retryCtx, nc, subject, create)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	again, err := bus.Request[msg.Container](retryCtx, nc, subject, create)
	if err != nil || again.ID != c.ID {
		t.Fatalf("second retry gave %s (%v), want %s", again.ID, err, c.ID)
	}
	list, err := cli.ContainerList(context.Background(), client.ContainerListOptions{All: true,
		Filters: make(client.Filters).Add("label", policy.LabelRequest+"="+reqID)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].ID != c.ID || c.State != "running" {
		t.Fatalf("%d containers for the request (state %s), want exactly one running", len(list.Items), c.State)
	}
}
