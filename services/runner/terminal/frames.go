package terminal

import (
	"context"
	"time"

	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
)

// inputTimeout bounds a write to the TTY: a process that stops reading its
// input makes the writer fail rather than pile keystrokes up.
const inputTimeout = 5 * time.Second

// errGone answers frames about a session (or viewer) that no longer exists.
var errGone = apierr.NotFound("terminal session not found (it may have ended)")

// onFrame handles one frame on term.<id>.in. NATS calls it for one message
// at a time, so input, resizes and attaches apply in the order sent: a
// resize followed by `stty size` answers the new size.
func (s *session) onFrame(m *nats.Msg) {
	ctx := bus.ExtractTrace(context.Background(), m.Header)
	var f msg.TermIn
	if err := bus.StrictUnmarshal(m.Data, &f); err != nil {
		s.reply(ctx, m, msg.Reply[msg.Empty]{Error: apierr.Invalid("bad terminal frame: %v", err)})
		return
	}
	if !msg.ValidViewerID(f.Viewer) {
		s.reply(ctx, m, msg.Reply[msg.Empty]{Error: apierr.Invalid("bad viewer id")})
		return
	}
	if f.Kind == msg.TermAttach {
		v, err := s.attach(m.Header, f)
		s.reply(ctx, m, msg.Reply[msg.TerminalSession]{Data: v, Error: apierr.From(err)})
		return
	}
	s.reply(ctx, m, msg.Reply[msg.Empty]{Error: apierr.From(s.apply(f))})
}

func (s *session) reply(ctx context.Context, m *nats.Msg, v any) {
	if m.Reply == "" {
		return
	}
	if err := bus.EncodeResponse(ctx, m.Reply, s.m.nc, v); err != nil {
		s.m.log.Debug("terminal reply failed", "session", s.id, "err", err)
	}
}

// attach adds a viewer. The frame's identity headers are checked against
// the session's owner, and the container name against the session's, so a
// session id alone gives nothing: another user's session is "not found".
func (s *session) attach(h nats.Header, f msg.TermIn) (msg.TerminalSession, error) {
	c, ok := identity.Extract(h)
	if !ok || !mayView(c, s.owner) || f.Name != s.name {
		return msg.TerminalSession{}, errGone
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing != "" {
		return msg.TerminalSession{}, errGone
	}
	now := time.Now()
	s.view(f.Viewer, now)
	s.lastActive = now
	return s.snapshot(), nil
}

// apply handles the frames of an attached viewer.
func (s *session) apply(f msg.TermIn) error {
	now := time.Now()
	s.mu.Lock()
	if _, ok := s.viewers[f.Viewer]; !ok || s.closing != "" {
		s.mu.Unlock()
		return errGone
	}
	s.view(f.Viewer, now)
	switch f.Kind {
	case msg.TermPing:
		s.mu.Unlock()
		return nil
	case msg.TermDetach:
		delete(s.viewers, f.Viewer)
		if len(s.viewers) == 0 {
			s.aloneSince = now
		}
		s.mu.Unlock()
		return nil
	case msg.TermInput:
		// A retried frame (same viewer, same or older seq) is applied once.
		if f.Seq != 0 && f.Seq <= s.seqs[f.Viewer] {
			s.mu.Unlock()
			return nil
		}
		if f.Seq != 0 {
			s.seqs[f.Viewer] = f.Seq
		}
		s.lastActive = now
		s.mu.Unlock()
		return s.write(f.Data)
	case msg.TermResize:
		rows, cols, err := checkSize(f.Rows, f.Cols)
		if err != nil {
			s.mu.Unlock()
			return err
		}
		s.rows, s.cols = rows, cols
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err = s.m.docker.ExecResize(ctx, s.execID, client.ExecResizeOptions{Height: uint(rows), Width: uint(cols)})
		if err != nil {
			return apierr.New(apierr.CodeUnavailable, "could not resize the terminal").WithDocker(err.Error())
		}
		return nil
	case msg.TermClose:
		s.mu.Unlock()
		go s.close("closed by a viewer")
		return nil
	default:
		s.mu.Unlock()
		return apierr.Invalid("unknown terminal frame kind %q", f.Kind)
	}
}

func (s *session) write(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	_ = s.conn.Conn.SetWriteDeadline(time.Now().Add(inputTimeout))
	_, err := s.conn.Conn.Write(p)
	_ = s.conn.Conn.SetWriteDeadline(time.Time{})
	if err != nil {
		return apierr.New(apierr.CodeUnavailable, "the terminal is not taking input: %v", err)
	}
	return nil
}

// checkSize validates a terminal size; zero means the default 24×80.
func checkSize(rows, cols uint16) (uint16, uint16, error) {
	if rows == 0 {
		rows = 24
	}
	if cols == 0 {
		cols = 80
	}
	if rows > 1000 || cols > 1000 {
		return 0, 0, apierr.Invalid("terminal size %d×%d is too large (at most 1000×1000)", rows, cols)
	}
	return rows, cols, nil
}
