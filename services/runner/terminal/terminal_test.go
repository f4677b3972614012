package terminal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/runner/policy"
)

// env is a terminal server on real NATS and Docker, and one running
// busybox container owned by alice.
type env struct {
	nc      *nats.Conn
	docker  *client.Client
	alice   identity.Caller
	bob     identity.Caller
	cid     string
	srv     *Server
	counter int
}

func setup(t *testing.T, cfg Config) *env {
	t.Helper()
	docker := dockertest.Client(t)
	img := dockertest.BusyboxImage(t, docker)
	nc := natstest.Connect(t, natstest.Server(t))
	e := &env{nc: nc, docker: docker,
		alice: newUser(t, docker), bob: newUser(t, docker)}
	e.cid = runContainer(t, docker, e.alice, "box", img)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	e.srv = New(docker, nc, cfg, log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("terminal server: %v", err)
		}
	})
	return e
}

// newUser is a fresh caller whose containers are removed when the test
// ends. (runnertest.NewUser would import the runner's app, which imports
// this package.)
func newUser(t *testing.T, docker *client.Client) identity.Caller {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	suffix := hex.EncodeToString(b)
	c := identity.Caller{UserID: "test-" + suffix, Username: "u" + suffix, Role: identity.RoleUser}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		f := make(client.Filters).Add("label", policy.LabelOwner+"="+c.UserID)
		if cs, err := docker.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f}); err == nil {
			for _, it := range cs.Items {
				_, _ = docker.ContainerRemove(ctx, it.ID, client.ContainerRemoveOptions{Force: true})
			}
		}
	})
	return c
}

// runContainer starts a long-running container carrying the platform's
// labels for owner, as the container service would.
func runContainer(t *testing.T, docker *client.Client, owner identity.Caller, name, img string) string {
	t.Helper()
	ctx := context.Background()
	res, err := docker.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name: owner.Username + "--" + name,
		Config: &container.Config{Image: img, Cmd: []string{"sleep", "3600"}, Labels: map[string]string{
			policy.LabelOwner: owner.UserID, policy.LabelUsername: owner.Username, policy.LabelName: name}},
		HostConfig: &container.HostConfig{},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := docker.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	return res.ID
}

func (e *env) id(prefix string) string {
	e.counter++
	return fmt.Sprintf("%s%016d", prefix, e.counter)
}

// viewer follows term.<s>.out like the gateway does: it keeps the output
// by offset, so a byte seen twice would show as a mismatch.
type viewer struct {
	t       *testing.T
	e       *env
	session string
	id      string
	seq     uint64
	mu      sync.Mutex
	out     []byte
	base    int64 // offset of out[0]
	exit    *msg.TermOut
	sub     *nats.Subscription
}

func (e *env) follow(t *testing.T, session string) *viewer {
	t.Helper()
	v := &viewer{t: t, e: e, session: session, id: e.id("viewer")}
	sub, err := e.nc.Subscribe(subjects.TermOut(session), func(m *nats.Msg) {
		var f msg.TermOut
		if err := json.Unmarshal(m.Data, &f); err != nil {
			t.Errorf("bad output frame: %v", err)
			return
		}
		v.mu.Lock()
		defer v.mu.Unlock()
		if f.Kind == msg.TermExit {
			v.exit = &f
			return
		}
		v.take(f.Offset, f.Data)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	v.sub = sub
	return v
}

// take appends data starting at off, dropping what is already there and
// failing on a gap. v.mu must be held.
func (v *viewer) take(off int64, data []byte) {
	if len(v.out) == 0 && v.base == 0 {
		v.base = off
	}
	end := v.base + int64(len(v.out))
	if off > end {
		v.t.Errorf("gap in output: have up to %d, got frame at %d", end, off)
		return
	}
	if skip := end - off; skip < int64(len(data)) {
		v.out = append(v.out, data[skip:]...)
	}
}

func (v *viewer) text() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return string(v.out)
}

func (v *viewer) waitFor(want string) string {
	v.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if s := v.text(); strings.Contains(s, want) {
			return s
		}
		if time.Now().After(deadline) {
			v.t.Fatalf("terminal never showed %q; screen: %q", want, v.text())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (v *viewer) waitExit() msg.TermOut {
	v.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		v.mu.Lock()
		x := v.exit
		v.mu.Unlock()
		if x != nil {
			return *x
		}
		if time.Now().After(deadline) {
			v.t.Fatalf("session %s never ended", v.session)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (v *viewer) frame(f msg.TermIn) error {
	f.Viewer = v.id
	_, err := bus.Request[msg.Empty](context.Background(), v.e.nc, subjects.TermIn(v.session), f)
	return err
}

func (v *viewer) send(s string) {
	v.t.Helper()
	v.seq++
	if err := v.frame(msg.TermIn{Kind: msg.TermInput, Seq: v.seq, Data: []byte(s)}); err != nil {
		v.t.Fatalf("input %q: %v", s, err)
	}
}

func as(c identity.Caller) context.Context {
	return identity.With(context.Background(), c)
}

func (e *env) open(t *testing.T, c identity.Caller, req msg.TerminalOpen) (msg.TerminalSession, error) {
	t.Helper()
	return bus.Request[msg.TerminalSession](as(c), e.nc, subjects.RunnerRequestSubject(subjects.TerminalOpen), req)
}

func code(err error) apierr.Code {
	var e *apierr.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// ps lists the processes of container id (busybox ps: "PID USER TIME COMMAND").
func ps(t *testing.T, docker *client.Client, id string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ex, err := docker.ExecCreate(ctx, id, client.ExecCreateOptions{AttachStdout: true, AttachStderr: true, Cmd: []string{"ps", "-o", "pid,args"}})
	if err != nil {
		t.Fatal(err)
	}
	att, err := docker.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer att.Close()
	b, _ := io.ReadAll(att.Reader)
	return string(b)
}

func waitGone(t *testing.T, docker *client.Client, id, marker string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out := ps(t, docker, id)
		if !strings.Contains(out, marker) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q still runs in the container after the session closed:\n%s", marker, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestSessionRunsInputResizeReattachAndClose(t *testing.T) {
	e := setup(t, DefaultConfig())
	sid := e.id("session")
	v := e.follow(t, sid)
	s, err := e.open(t, e.alice, msg.TerminalOpen{Name: "box", Session: sid, Viewer: v.id, Rows: 30, Cols: 100})
	if err != nil {
		t.Fatal(err)
	}
	if s.Session != sid || s.Container != "box" || s.Owner != e.alice.UserID || s.Rows != 30 || s.Cols != 100 {
		t.Fatalf("open = %+v", s)
	}
	v.mu.Lock()
	v.take(s.Start, s.Scrollback)
	v.mu.Unlock()

	// The shell runs what is typed; the output differs from the echoed input.
	v.send("printf 'A%sZ\\n' one-two\n")
	v.waitFor("Aone-twoZ")
	v.send("stty size\n")
	v.waitFor("30 100")
	if err := v.frame(msg.TermIn{Kind: msg.TermResize, Rows: 41, Cols: 132}); err != nil {
		t.Fatal(err)
	}
	v.send("stty size\n")
	v.waitFor("41 132")

	// A retried input (same viewer, same seq) is applied once.
	v.seq++
	in := msg.TermIn{Kind: msg.TermInput, Seq: v.seq, Data: []byte("echo once-$((40+2))\n")}
	for range 3 {
		if err := v.frame(in); err != nil {
			t.Fatal(err)
		}
	}
	v.send("echo marker-$((1+1))\n")
	screen := v.waitFor("marker-2")
	if n := strings.Count(screen, "once-42"); n != 1 {
		t.Fatalf("retried input ran %d times; screen %q", n, screen)
	}

	// Binary bytes pass unchanged both ways (printf's octal escapes to raw bytes).
	v.send("printf 'B\\001\\377\\033[0mE\\n'\n")
	v.waitFor("B\x01\xff\x1b[0mE")

	// Alice reattaches from a second viewer and sees the recent output.
	var snap msg.TerminalSession
	snap, err = bus.Request[msg.TerminalSession](as(e.alice), e.nc, subjects.TermIn(sid),
		msg.TermIn{Kind: msg.TermAttach, Viewer: e.id("viewer"), Name: "box"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(snap.Scrollback), "Aone-twoZ") || snap.End() < int64(len(v.text())) {
		t.Fatalf("reattach snapshot %d+%d %q", snap.Start, len(snap.Scrollback), snap.Scrollback)
	}

	// Bob gets "not found" whether he opens on alice's container, attaches
	// to her session, or names another container.
	if _, err := e.open(t, e.bob, msg.TerminalOpen{Name: "box", Session: e.id("session"), Viewer: e.id("viewer")}); code(err) != apierr.CodeNotFound {
		t.Fatalf("bob opens alice's box: %v", err)
	}
	if _, err := e.open(t, e.bob, msg.TerminalOpen{Name: "box", Owner: e.alice.UserID, Session: e.id("session"), Viewer: e.id("viewer")}); code(err) != apierr.CodeForbidden {
		t.Fatalf("bob names alice as owner: %v", err)
	}
	for _, c := range []struct {
		who  identity.Caller
		name string
	}{{e.bob, "box"}, {e.alice, "other"}} {
		_, err := bus.Request[msg.TerminalSession](as(c.who), e.nc, subjects.TermIn(sid), msg.TermIn{Kind: msg.TermAttach, Viewer: e.id("viewer"), Name: c.name})
		if code(err) != apierr.CodeNotFound {
			t.Fatalf("%s attaches to %s: %v", c.who.Username, c.name, err)
		}
	}
	// A viewer that never attached cannot type.
	stranger := &viewer{t: t, e: e, session: sid, id: e.id("viewer")}
	if err := stranger.frame(msg.TermIn{Kind: msg.TermInput, Seq: 1, Data: []byte("echo nope\n")}); code(err) != apierr.CodeNotFound {
		t.Fatalf("input from an unattached viewer: %v", err)
	}
	// Session ids are single-use.
	if _, err := e.open(t, e.alice, msg.TerminalOpen{Name: "box", Session: sid, Viewer: e.id("viewer")}); code(err) != apierr.CodeConflict {
		t.Fatalf("reused session id: %v", err)
	}

	// Closing kills the session's processes, even a foreground job.
	v.send("sleep 4711\n")
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(ps(t, e.docker, e.cid), "sleep 4711") {
		if time.Now().After(deadline) {
			t.Fatal("sleep 4711 never started")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := v.frame(msg.TermIn{Kind: msg.TermClose}); err != nil {
		t.Fatal(err)
	}
	x := v.waitExit()
	if x.Reason != "closed by a viewer" || x.Offset != int64(len(v.text()))+v.base {
		t.Fatalf("exit frame %+v (have %d bytes from %d)", x, len(v.text()), v.base)
	}
	waitGone(t, e.docker, e.cid, "sleep 4711")
	if err := v.frame(msg.TermIn{Kind: msg.TermPing}); code(err) != apierr.CodeUnavailable && code(err) != apierr.CodeNotFound {
		t.Fatalf("ping after close: %v", err)
	}
	if n := len(e.srv.m.live()); n != 0 {
		t.Fatalf("%d sessions left", n)
	}
}

func TestCommandExitEndsTheSession(t *testing.T) {
	e := setup(t, DefaultConfig())
	sid := e.id("session")
	v := e.follow(t, sid)
	if _, err := e.open(t, e.alice, msg.TerminalOpen{Name: "box", Session: sid, Viewer: v.id, Cmd: []string{"sh", "-c", "echo hi-from-cmd; exit 3"}}); err != nil {
		t.Fatal(err)
	}
	x := v.waitExit()
	if x.ExitCode != 3 || x.Reason != "exited" {
		t.Fatalf("exit = %+v", x)
	}
	// The output may have been published before this viewer subscribed
	// only if it was in the open's snapshot; here the viewer subscribed first.
	if !strings.Contains(v.text(), "hi-from-cmd") {
		t.Fatalf("output %q", v.text())
	}
}

func TestStoppedContainerAndBadRequests(t *testing.T) {
	e := setup(t, DefaultConfig())
	ctx := context.Background()
	tests := []struct {
		name string
		req  msg.TerminalOpen
		code apierr.Code
	}{
		{"bad session id", msg.TerminalOpen{Name: "box", Session: "a.b.c>", Viewer: "viewer0001"}, apierr.CodeInvalid},
		{"short session id", msg.TerminalOpen{Name: "box", Session: "abc", Viewer: "viewer0001"}, apierr.CodeInvalid},
		{"bad viewer", msg.TerminalOpen{Name: "box", Session: e.id("session"), Viewer: "v*"}, apierr.CodeInvalid},
		{"huge size", msg.TerminalOpen{Name: "box", Session: e.id("session"), Viewer: "viewer0001", Rows: 5000}, apierr.CodeInvalid},
		{"unknown container", msg.TerminalOpen{Name: "nope", Session: e.id("session"), Viewer: "viewer0001"}, apierr.CodeNotFound},
		{"bad container name", msg.TerminalOpen{Name: "../x", Session: e.id("session"), Viewer: "viewer0001"}, apierr.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := e.open(t, e.alice, tt.req); code(err) != tt.code {
				t.Fatalf("got %v, want %s", err, tt.code)
			}
		})
	}
	timeout := 0
	if _, err := e.docker.ContainerStop(ctx, e.cid, client.ContainerStopOptions{Timeout: &timeout}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.open(t, e.alice, msg.TerminalOpen{Name: "box", Session: e.id("session"), Viewer: "viewer0001"}); code(err) != apierr.CodeConflict {
		t.Fatalf("open on a stopped container: %v", err)
	}
}

func TestDetachedSessionEndsAndItsProcessesWithIt(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DetachTTL = 500 * time.Millisecond
	e := setup(t, cfg)
	sid := e.id("session")
	v := e.follow(t, sid)
	if _, err := e.open(t, e.alice, msg.TerminalOpen{Name: "box", Session: sid, Viewer: v.id}); err != nil {
		t.Fatal(err)
	}
	v.send("sleep 4712 & sleep 4713\n")
	deadline := time.Now().Add(30 * time.Second)
	for out := ps(t, e.docker, e.cid); !strings.Contains(out, "sleep 4712") || !strings.Contains(out, "sleep 4713"); out = ps(t, e.docker, e.cid) {
		if time.Now().After(deadline) {
			t.Fatalf("sleeps never started:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := v.frame(msg.TermIn{Kind: msg.TermDetach}); err != nil {
		t.Fatal(err)
	}
	if x := v.waitExit(); x.Reason != "detached" {
		t.Fatalf("exit = %+v", x)
	}
	waitGone(t, e.docker, e.cid, "sleep 471")
}

func TestIdleSessionEnds(t *testing.T) {
	cfg := DefaultConfig()
	cfg.IdleTTL = 700 * time.Millisecond
	e := setup(t, cfg)
	sid := e.id("session")
	v := e.follow(t, sid)
	if _, err := e.open(t, e.alice, msg.TerminalOpen{Name: "box", Session: sid, Viewer: v.id}); err != nil {
		t.Fatal(err)
	}
	// Pings keep the viewer there, but do not count as activity.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				_ = v.frame(msg.TermIn{Kind: msg.TermPing})
			}
		}
	}()
	if x := v.waitExit(); x.Reason != "idle" {
		t.Fatalf("exit = %+v", x)
	}
}
