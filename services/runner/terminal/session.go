package terminal

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// session is one `docker exec` with a TTY and the viewers watching it.
type session struct {
	m         *manager
	id        string
	owner     string // the container's owner
	name      string // the container's name as its owner chose it
	container string // Docker id
	cmd       []string
	execID    string
	pid       int // the session leader inside the container; 0 if unknown
	conn      client.HijackedResponse
	sub       *nats.Subscription // term.<id>.in
	done      chan struct{}      // closed once the exec has ended and exit is published

	mu         sync.Mutex
	out        *ring
	viewers    map[string]time.Time // viewer → last heard of
	seqs       map[string]uint64    // viewer → last input applied
	lastActive time.Time            // last input or output
	aloneSince time.Time            // when the last viewer left; zero while watched
	rows, cols uint16
	closing    string // why it ends; "" while open
}

// pump copies the TTY's output into the scrollback and onto
// term.<id>.out until the exec ends. Publishing is synchronous on the NATS
// connection's buffer, so a bus that cannot keep up slows the reads, and
// the TTY then slows the process: nothing here grows without bound.
func (s *session) pump() {
	buf := make([]byte, 32<<10)
	for {
		n, err := s.conn.Reader.Read(buf)
		if n > 0 {
			s.output(buf[:n])
		}
		if err != nil {
			break
		}
	}
	s.finish()
}

func (s *session) output(p []byte) {
	s.mu.Lock()
	off := s.out.end
	s.out.write(p)
	s.lastActive = time.Now()
	s.mu.Unlock()
	s.publish(msg.TermOut{Kind: msg.TermData, Offset: off, Data: p})
}

func (s *session) publish(f msg.TermOut) {
	b, err := json.Marshal(f)
	if err != nil {
		return
	}
	m := nats.NewMsg(subjects.TermOut(s.id))
	m.Data = b
	m.Header.Set(bus.HeaderVersion, msg.Version)
	if err := s.m.nc.PublishMsg(m); err != nil {
		s.m.log.Debug("terminal output not published", "session", s.id, "err", err)
	}
}

// finish runs once the TTY stream has ended: it records why, tells the
// viewers and forgets the session.
func (s *session) finish() {
	code := s.exitCode()
	s.mu.Lock()
	why := s.closing
	if why == "" {
		why = "exited"
		s.closing = why
	}
	end := s.out.end
	s.mu.Unlock()
	if s.sub != nil {
		_ = s.sub.Unsubscribe()
	}
	s.conn.Close()
	s.m.remove(s)
	s.publish(msg.TermOut{Kind: msg.TermExit, Offset: end, ExitCode: code, Reason: why})
	s.m.log.Info("terminal session ended", "session", s.id, "container", s.name, "owner", s.owner, "reason", why, "exit_code", code)
	close(s.done)
}

// exitCode asks Docker how the exec ended; it may take a moment after the
// stream closes for the engine to notice.
func (s *session) exitCode() int {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	for {
		in, err := s.m.docker.ExecInspect(ctx, s.execID, client.ExecInspectOptions{})
		if err != nil {
			return -1
		}
		if !in.Running {
			return in.ExitCode
		}
		select {
		case <-ctx.Done():
			return -1
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// close ends the session: every process of its TTY session is killed, then
// the stream ends and finish runs. It returns once the session is gone.
func (s *session) close(why string) {
	s.mu.Lock()
	first := s.closing == ""
	if first {
		s.closing = why
	}
	s.mu.Unlock()
	if first {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if s.pid > 0 {
			if err := killSession(ctx, s.m.docker, s.container, s.execID, s.pid); err != nil {
				s.m.log.Warn("terminal session not killed", "session", s.id, "err", err)
			}
		}
		cancel()
		select {
		case <-s.done:
			return
		case <-time.After(2 * time.Second):
		}
		// The process is still there (no shell to kill it with, or the
		// container is stuck): drop the stream, which closes its input.
		s.conn.Close()
	}
	<-s.done
}

// expired says why the session should end now, or "". It also forgets
// viewers that stopped pinging.
func (s *session) expired(now time.Time, cfg Config) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing != "" {
		return ""
	}
	for v, seen := range s.viewers {
		if now.Sub(seen) > cfg.ViewerTimeout {
			delete(s.viewers, v)
		}
	}
	if len(s.viewers) == 0 && s.aloneSince.IsZero() {
		s.aloneSince = now
	}
	if len(s.seqs) > 1024 {
		for v := range s.seqs {
			if _, ok := s.viewers[v]; !ok {
				delete(s.seqs, v)
			}
		}
	}
	switch {
	case len(s.viewers) == 0 && now.Sub(s.aloneSince) >= cfg.DetachTTL:
		return "detached"
	case now.Sub(s.lastActive) >= cfg.IdleTTL:
		return "idle"
	}
	return ""
}

// view records that viewer is there (it opened, attached, pinged or typed).
func (s *session) view(viewer string, now time.Time) {
	s.viewers[viewer] = now
	s.aloneSince = time.Time{}
}

// snapshot is the reply to an open or an attach. s.mu must be held.
func (s *session) snapshot() msg.TerminalSession {
	start, data := s.out.snapshot()
	return msg.TerminalSession{
		Session: s.id, Container: s.name, Owner: s.owner, Cmd: s.cmd,
		Start: start, Scrollback: data, Rows: s.rows, Cols: s.cols,
	}
}
