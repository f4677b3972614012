package terminal

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/runner/access"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/policy"
)

// Service opens terminal sessions. Everything after the open — input,
// resize, attach, detach, close — travels on the session's own subject
// term.<session>.in, straight to the runner holding it.
type Service interface {
	Open(ctx context.Context, req msg.TerminalOpen) (msg.TerminalSession, error)
}

// Sentinel errors.
var (
	ErrBadSession   = apierr.Invalid("session must be 16 to 64 letters and digits")
	ErrBadViewer    = apierr.Invalid("viewer must be 8 to 64 letters and digits")
	ErrSessionTaken = apierr.Conflict("terminal session id already in use")
)

// startTimeout bounds how long a new exec has to print its pid.
const startTimeout = 15 * time.Second

// manager holds the runner's terminal sessions.
type manager struct {
	docker *client.Client
	nc     *nats.Conn
	cfg    Config
	log    *slog.Logger

	mu       sync.Mutex
	sessions map[string]*session // nil while an open is in progress
	perOwner map[string]int
}

func newManager(docker *client.Client, nc *nats.Conn, cfg Config, log *slog.Logger) *manager {
	return &manager{docker: docker, nc: nc, cfg: cfg, log: log,
		sessions: map[string]*session{}, perOwner: map[string]int{}}
}

func (m *manager) Open(ctx context.Context, req msg.TerminalOpen) (msg.TerminalSession, error) {
	if !msg.ValidSessionID(req.Session) {
		return msg.TerminalSession{}, ErrBadSession
	}
	if !msg.ValidViewerID(req.Viewer) {
		return msg.TerminalSession{}, ErrBadViewer
	}
	if err := checkCmd(req.Cmd); err != nil {
		return msg.TerminalSession{}, err
	}
	rows, cols, err := checkSize(req.Rows, req.Cols)
	if err != nil {
		return msg.TerminalSession{}, err
	}
	_, sum, err := access.Container(ctx, m.docker, req.Name, req.Owner)
	if err != nil {
		return msg.TerminalSession{}, err
	}
	if sum.State != container.StateRunning {
		return msg.TerminalSession{}, apierr.Conflict("container %q is %s; start it to open a terminal", req.Name, sum.State)
	}
	owner := sum.Labels[policy.LabelOwner]
	if err := m.reserve(req.Session, owner); err != nil {
		return msg.TerminalSession{}, err
	}
	s := &session{
		m: m, id: req.Session, owner: owner, name: req.Name, container: sum.ID, cmd: req.Cmd,
		done: make(chan struct{}), out: newRing(m.cfg.Scrollback),
		viewers: map[string]time.Time{}, seqs: map[string]uint64{}, rows: rows, cols: cols,
	}
	if err := m.start(ctx, s); err != nil {
		m.release(req.Session, owner)
		return msg.TerminalSession{}, err
	}
	s.mu.Lock()
	now := time.Now()
	s.view(req.Viewer, now)
	s.lastActive = now
	v := s.snapshot()
	s.mu.Unlock()
	return v, nil
}

// start runs the exec, learns its pid, subscribes to its input subject and
// starts pumping its output.
func (m *manager) start(ctx context.Context, s *session) error {
	early, err := m.exec(ctx, s, startCmd(s.cmd), true)
	if errors.Is(err, errNoPID) && len(s.cmd) > 0 {
		// No /bin/sh in the image: run the command itself. Without a shell
		// the runner cannot kill it on close; closing its input is all it can do.
		m.log.Info("terminal without /bin/sh: running the command directly", "container", s.name)
		early, err = m.exec(ctx, s, s.cmd, false)
	}
	if err != nil {
		return err
	}
	sub, err := m.nc.Subscribe(subjects.TermIn(s.id), s.onFrame)
	if err != nil {
		s.conn.Close()
		return apierr.New(apierr.CodeUnavailable, "could not subscribe to the terminal's input: %v", err)
	}
	// Input is acknowledged request by request, so only a misbehaving
	// sender could queue much here; past these limits NATS drops.
	_ = sub.SetPendingLimits(1024, 4<<20)
	s.sub = sub
	if len(early) > 0 {
		s.out.write(early)
	}
	s.lastActive = time.Now()
	m.mu.Lock()
	m.sessions[s.id] = s
	m.mu.Unlock()
	go s.pump()
	m.log.Info("terminal session opened", "session", s.id, "container", s.name, "owner", s.owner, "pid", s.pid)
	return nil
}

// exec creates and attaches the session's exec. With wantPID it reads the
// start script's pid line; errNoPID (wrapped, quoting what came instead)
// means the script never ran.
func (m *manager) exec(ctx context.Context, s *session, argv []string, wantPID bool) ([]byte, error) {
	size := client.ConsoleSize{Height: uint(s.rows), Width: uint(s.cols)}
	ex, err := m.docker.ExecCreate(ctx, s.container, client.ExecCreateOptions{
		TTY: true, AttachStdin: true, AttachStdout: true, AttachStderr: true,
		ConsoleSize: size, Env: execEnv, Cmd: argv,
	})
	if err != nil {
		return nil, engine.FromDocker("open a terminal in container "+s.name, err)
	}
	att, err := m.docker.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{TTY: true, ConsoleSize: size})
	if err != nil {
		return nil, engine.FromDocker("attach to a terminal in container "+s.name, err)
	}
	s.execID, s.conn = ex.ID, att.HijackedResponse
	if !wantPID {
		m.resize(ctx, s)
		return nil, nil
	}
	_ = att.Conn.SetReadDeadline(time.Now().Add(startTimeout))
	pid, early, err := readPID(att.Reader)
	if err == nil {
		_ = att.Conn.SetReadDeadline(time.Time{})
		s.pid = pid
		m.resize(ctx, s)
		return nil, nil
	}
	// Collect what the exec said instead (Docker's error, most likely).
	rest, _ := io.ReadAll(io.LimitReader(att.Reader, 4096))
	att.Close()
	text := strings.TrimSpace(string(append(early, rest...)))
	e := apierr.Invalid("could not start a terminal in container %q: it needs /bin/sh, or give a command", s.name)
	if text != "" {
		e = e.WithDocker(text)
	}
	return nil, errors.Join(errNoPID, e)
}

// resize sets the TTY's size once the exec runs: engines before API 1.42
// (Docker 23) ignore the size given at create and start.
func (m *manager) resize(ctx context.Context, s *session) {
	if _, err := m.docker.ExecResize(ctx, s.execID, client.ExecResizeOptions{Height: uint(s.rows), Width: uint(s.cols)}); err != nil {
		m.log.Debug("terminal initial resize failed", "session", s.id, "err", err)
	}
}

func (m *manager) reserve(id, owner string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, taken := m.sessions[id]; taken {
		return ErrSessionTaken
	}
	if n := m.perOwner[owner]; n >= m.cfg.MaxPerUser {
		return apierr.New(apierr.CodeQuota, "%d terminal sessions are open for this user, the most allowed; close one first", n)
	}
	m.sessions[id] = nil
	m.perOwner[owner]++
	return nil
}

func (m *manager) release(id, owner string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sessions, id)
	if m.perOwner[owner]--; m.perOwner[owner] <= 0 {
		delete(m.perOwner, owner)
	}
}

func (m *manager) remove(s *session) { m.release(s.id, s.owner) }

// live returns the open sessions.
func (m *manager) live() []*session {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*session, 0, len(m.sessions))
	for _, s := range m.sessions {
		if s != nil {
			out = append(out, s)
		}
	}
	return out
}

// sweep ends sessions left alone or idle for too long.
func (m *manager) sweep(now time.Time) {
	for _, s := range m.live() {
		if why := s.expired(now, m.cfg); why != "" {
			go s.close(why)
		}
	}
}

// closeAll ends every session (the runner is stopping: a session cannot
// outlive the stream this process holds).
func (m *manager) closeAll(why string) {
	var wg sync.WaitGroup
	for _, s := range m.live() {
		wg.Add(1)
		go func() { defer wg.Done(); s.close(why) }()
	}
	wg.Wait()
}

func checkCmd(cmd []string) error {
	if len(cmd) > 256 {
		return apierr.Invalid("the command has %d arguments, at most 256 are allowed", len(cmd))
	}
	total := 0
	for _, a := range cmd {
		total += len(a)
		if strings.IndexByte(a, 0) >= 0 {
			return apierr.Invalid("command arguments may not contain NUL bytes")
		}
	}
	if total > 64<<10 {
		return apierr.Invalid("the command is longer than 64 KiB")
	}
	if len(cmd) > 0 && cmd[0] == "" {
		return apierr.Invalid("the command's first word is empty")
	}
	return nil
}
