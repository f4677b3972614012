package terminal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Tuning of one websocket viewer.
const (
	// queueFrames bounds the output frames waiting for a slow websocket
	// (each at most 32 KiB): past it frames are dropped and the viewer is
	// told what it skipped, so a slow browser never makes anything grow.
	queueFrames = 128
	// pingEvery paces both keep-alives: a websocket ping to the browser and
	// a ping frame to the runner (which forgets silent viewers).
	pingEvery = 10 * time.Second
	// writeTimeout bounds one websocket write; a browser that takes longer
	// is gone.
	writeTimeout = 30 * time.Second
	// inputTries and inputTimeout: input is acknowledged; an unanswered
	// frame is retried with the same sequence number, which the runner
	// applies once.
	inputTries   = 3
	inputTimeout = 5 * time.Second
	// maxInput bounds one websocket message from the browser (a paste);
	// it is cut into frames of inputFrame bytes.
	maxInput   = 1 << 20
	inputFrame = 32 << 10
)

// Control messages (websocket text frames, JSON). Output and input bytes
// travel as binary frames, unchanged.
type control struct {
	Type      string `json:"type"`                // hello, replayed, skipped, exit, error; resize, close from the browser
	Session   string `json:"session,omitempty"`   // hello
	Container string `json:"container,omitempty"` // hello
	Offset    int64  `json:"offset,omitempty"`    // hello: number of the first replayed byte; replayed: of the next live byte
	From      int64  `json:"from,omitempty"`      // skipped: bytes [From, To) were not delivered
	To        int64  `json:"to,omitempty"`
	Code      int    `json:"code,omitempty"`    // exit
	Reason    string `json:"reason,omitempty"`  // exit
	Message   string `json:"message,omitempty"` // error
	Rows      uint16 `json:"rows,omitempty"`    // resize
	Cols      uint16 `json:"cols,omitempty"`
}

// bridge joins one websocket to one session.
type bridge struct {
	nc      *nats.Conn
	log     *slog.Logger
	session string
	viewer  string
	sub     *nats.Subscription
	queue   chan msg.TermOut
	seq     uint64
	ended   atomic.Bool // the session has ended: no detach needed
}

// subscribe starts collecting the session's output; it is called before
// the open or attach, so no byte published after the snapshot is missed.
func subscribe(nc *nats.Conn, log *slog.Logger, session, viewer string) (*bridge, error) {
	b := &bridge{nc: nc, log: log, session: session, viewer: viewer, queue: make(chan msg.TermOut, queueFrames)}
	sub, err := nc.Subscribe(subjects.TermOut(session), b.onOutput)
	if err != nil {
		return nil, apierr.New(apierr.CodeUnavailable, "could not subscribe to the terminal's output: %v", err)
	}
	// The callback never blocks, so NATS' own buffer stays small; these
	// limits are a backstop.
	_ = sub.SetPendingLimits(4*queueFrames, 8<<20)
	b.sub = sub
	return b, nil
}

func (b *bridge) onOutput(m *nats.Msg) {
	var f msg.TermOut
	if err := json.Unmarshal(m.Data, &f); err != nil {
		return
	}
	if f.Kind == msg.TermExit {
		// The end must get through: make room for it.
		for {
			select {
			case b.queue <- f:
				return
			default:
				select {
				case <-b.queue: // the writer will announce the gap
				default:
				}
			}
		}
	}
	select {
	case b.queue <- f:
	default:
		// Dropped: the next frame's offset shows the gap, and the writer
		// tells the viewer what it skipped.
	}
}

func (b *bridge) stop() { _ = b.sub.Unsubscribe() }

// run serves the websocket until it closes or the session ends. have is the
// number of output bytes the client already shows (-1: none, a new screen).
func (b *bridge) run(ctx context.Context, c *websocket.Conn, snap msg.TerminalSession, have int64) {
	defer b.stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer func() {
		if !b.ended.Load() {
			// Tell the runner this viewer left (best effort), so a session
			// nobody watches starts its detach countdown now.
			_ = b.frame(context.Background(), msg.TermIn{Kind: msg.TermDetach})
		}
	}()
	c.SetReadLimit(maxInput)

	start, data := snap.Start, snap.Scrollback
	if have >= 0 {
		have = min(have, snap.End())
		if have >= start {
			data, start = data[have-start:], have
		} else if err := b.send(ctx, c, control{Type: "skipped", From: have, To: start}); err != nil {
			return
		}
	}
	if err := b.send(ctx, c, control{Type: "hello", Session: snap.Session, Container: snap.Container, Offset: start}); err != nil {
		return
	}
	if data = stripQueries(data); len(data) > 0 {
		if err := b.write(ctx, c, data); err != nil {
			return
		}
	}
	// Stripping changed the byte count: say where the live output resumes.
	if err := b.send(ctx, c, control{Type: "replayed", Offset: snap.End()}); err != nil {
		return
	}

	go b.keepAlive(ctx, cancel, c)
	go b.readInput(ctx, cancel, c)
	b.writeOutput(ctx, c, snap.End())
}

// writeOutput forwards output frames from sent on, dropping what the
// viewer already has and announcing what it lost.
func (b *bridge) writeOutput(ctx context.Context, c *websocket.Conn, sent int64) {
	for {
		var f msg.TermOut
		select {
		case <-ctx.Done():
			return
		case f = <-b.queue:
		}
		if f.Kind == msg.TermExit {
			b.ended.Store(true)
			if f.Offset > sent {
				_ = b.send(ctx, c, control{Type: "skipped", From: sent, To: f.Offset})
			}
			_ = b.send(ctx, c, control{Type: "exit", Code: f.ExitCode, Reason: f.Reason})
			_ = c.Close(websocket.StatusNormalClosure, truncate("session ended: "+f.Reason, 120))
			return
		}
		end := f.Offset + int64(len(f.Data))
		if end <= sent {
			continue // already delivered (the snapshot had it)
		}
		data := f.Data
		if f.Offset > sent {
			if err := b.send(ctx, c, control{Type: "skipped", From: sent, To: f.Offset}); err != nil {
				return
			}
		} else {
			data = data[sent-f.Offset:]
		}
		if err := b.write(ctx, c, data); err != nil {
			return
		}
		sent = end
	}
}

// readInput forwards the browser's keystrokes (binary) and controls (text).
func (b *bridge) readInput(ctx context.Context, cancel context.CancelFunc, c *websocket.Conn) {
	defer cancel()
	for {
		typ, p, err := c.Read(ctx)
		if err != nil {
			return
		}
		switch typ {
		case websocket.MessageBinary:
			for len(p) > 0 {
				n := min(len(p), inputFrame)
				b.seq++
				if err := b.input(ctx, b.seq, p[:n]); err != nil {
					b.fail(ctx, c, err)
					return
				}
				p = p[n:]
			}
		case websocket.MessageText:
			var m control
			if err := json.Unmarshal(p, &m); err != nil {
				_ = b.send(ctx, c, control{Type: "error", Message: "bad control message: " + err.Error()})
				continue
			}
			var err error
			switch m.Type {
			case "resize":
				err = b.frame(ctx, msg.TermIn{Kind: msg.TermResize, Rows: m.Rows, Cols: m.Cols})
			case "close":
				err = b.frame(ctx, msg.TermIn{Kind: msg.TermClose})
			default:
				err = apierr.Invalid("unknown control message %q", m.Type)
			}
			if e := apierr.From(err); e != nil {
				if e.Code == apierr.CodeNotFound || e.Code == apierr.CodeUnavailable {
					b.fail(ctx, c, err)
					return
				}
				_ = b.send(ctx, c, control{Type: "error", Message: e.Message})
			}
		}
	}
}

// input sends one input frame, retrying with the same sequence number.
func (b *bridge) input(ctx context.Context, seq uint64, p []byte) error {
	var err error
	for range inputTries {
		err = b.frame(ctx, msg.TermIn{Kind: msg.TermInput, Seq: seq, Data: p})
		if e := apierr.From(err); e == nil || e.Code != apierr.CodeTimeout {
			return err
		}
	}
	return err
}

// keepAlive pings the browser and the runner; either failing ends the bridge.
func (b *bridge) keepAlive(ctx context.Context, cancel context.CancelFunc, c *websocket.Conn) {
	defer cancel()
	t := time.NewTicker(pingEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := b.frame(ctx, msg.TermIn{Kind: msg.TermPing}); err != nil {
			if e := apierr.From(err); e.Code == apierr.CodeNotFound || e.Code == apierr.CodeUnavailable {
				b.fail(ctx, c, err)
				return
			}
			continue // a slow runner gets another chance
		}
		pctx, pcancel := context.WithTimeout(ctx, pingEvery)
		err := c.Ping(pctx)
		pcancel()
		if err != nil {
			return
		}
	}
}

// frame sends one acknowledged frame on term.<session>.in. Keystrokes are
// not traced (a span per key would drown the traces); the frame needs no
// identity: the runner accepts frames only from viewers it let in.
func (b *bridge) frame(ctx context.Context, f msg.TermIn) error {
	f.Viewer = b.viewer
	body, err := json.Marshal(f)
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, inputTimeout)
	defer cancel()
	res, err := b.nc.RequestWithContext(rctx, subjects.TermIn(b.session), body)
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return ErrSessionGone
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return apierr.New(apierr.CodeTimeout, "the terminal did not answer in time")
	case err != nil:
		return apierr.New(apierr.CodeUnavailable, "terminal frame not sent: %v", err)
	}
	var reply msg.Reply[msg.Empty]
	if err := json.Unmarshal(res.Data, &reply); err != nil {
		return fmt.Errorf("bad terminal reply: %w", err)
	}
	if reply.Error != nil {
		return reply.Error
	}
	return nil
}

// fail tells the browser why the terminal stopped and closes.
func (b *bridge) fail(ctx context.Context, c *websocket.Conn, err error) {
	e := apierr.From(err)
	if e.Code == apierr.CodeNotFound {
		b.ended.Store(true)
	}
	_ = b.send(ctx, c, control{Type: "error", Message: e.Message})
	_ = c.Close(websocket.StatusGoingAway, truncate(e.Message, 120))
}

func (b *bridge) send(ctx context.Context, c *websocket.Conn, m control) error {
	p, err := json.Marshal(m)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return c.Write(wctx, websocket.MessageText, p)
}

func (b *bridge) write(ctx context.Context, c *websocket.Conn, p []byte) error {
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return c.Write(wctx, websocket.MessageBinary, p)
}

// terminalQueries are requests a terminal answers by typing (cursor
// position, status, device attributes). Replayed from the scrollback they
// would make a reattaching screen type stale answers into the shell, so
// they are removed from the replay (never from live output).
var terminalQueries = regexp.MustCompile(`\x1b\[[?>=]?[0-9;]*[cn]`)

func stripQueries(p []byte) []byte { return terminalQueries.ReplaceAll(p, nil) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
