package logs

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/runner/engine"
)

// stream is one reader's log stream.
type stream struct {
	m         *manager
	id        string
	name      string
	container string
	opts      client.ContainerLogsOptions
	tty       bool
	rc        io.ReadCloser // the current Docker reader; read owns it
	ctl       chan *nats.Msg
	sub       *nats.Subscription
	credit    int
	seq       uint64
}

// run publishes chunks while the reader has credit, heartbeats when quiet,
// and ends on the logs' end, a cancel, a silent reader or ctx.
func (s *stream) run(ctx context.Context) {
	defer s.rc.Close()
	defer func() { _ = s.sub.Unsubscribe() }()
	chunks := make(chan msg.LogChunk) // unbuffered: Docker is read only as fast as chunks go out
	readDone := make(chan error, 1)
	rctx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	go func() { readDone <- s.read(rctx, chunks) }()

	tick := time.NewTicker(s.m.cfg.Heartbeat / 2)
	defer tick.Stop()
	lastHeard, lastSent := time.Now(), time.Now()
	for {
		var in chan msg.LogChunk
		if s.credit > 0 {
			in = chunks
		}
		select {
		case c := <-in:
			s.publish(c)
			s.credit--
			lastSent = time.Now()
		case m := <-s.ctl:
			var c msg.LogControl
			if err := json.Unmarshal(m.Data, &c); err != nil {
				continue
			}
			if c.Cancel {
				return
			}
			lastHeard = time.Now()
			// A reader may not grant itself an unbounded window.
			s.credit = min(s.credit+max(c.Credit, 0), MaxCredit)
		case err := <-readDone:
			// read sends synchronously, so every chunk is out by now.
			if err != nil {
				s.publish(msg.LogChunk{Kind: msg.LogError, Error: apierr.From(engine.FromDocker("read the logs of container "+s.name, err))})
				return
			}
			s.publish(msg.LogChunk{Kind: msg.LogEnd})
			return
		case now := <-tick.C:
			if now.Sub(lastHeard) > s.m.cfg.ReaderTimeout {
				s.m.log.Info("log reader gone", "stream", s.id, "container", s.name)
				return
			}
			if now.Sub(lastSent) >= s.m.cfg.Heartbeat {
				s.publish(msg.LogChunk{Kind: msg.LogHeartbeat})
				lastSent = now
			}
		case <-ctx.Done():
			s.publish(msg.LogChunk{Kind: msg.LogError, Error: apierr.New(apierr.CodeUnavailable, "the runner is stopping")})
			return
		}
	}
}

func (s *stream) publish(c msg.LogChunk) {
	s.seq++
	c.Seq = s.seq
	b, err := json.Marshal(c)
	if err != nil {
		return
	}
	m := nats.NewMsg(subjects.StreamOut(s.id))
	m.Data = b
	m.Header.Set(bus.HeaderVersion, msg.Version)
	if err := s.m.nc.PublishMsg(m); err != nil {
		s.m.log.Debug("log chunk not published", "stream", s.id, "err", err)
	}
}

// read copies Docker's log stream into chunks, split by origin. Bytes are
// passed as they are, \r included. A TTY container's output is one raw
// stream (stdout). Otherwise Docker multiplexes stdout and stderr, one
// frame per log message, each stamped with its time.
//
// Following across log rotation is Docker's json-file follower's job, but
// it can fail when the file rotates under it ("Error grabbing logs: no such
// file or directory"). read then reopens the logs from the last message's
// time and skips what was already sent (messages of that very nanosecond
// are counted), so the reader sees every message once.
func (s *stream) read(ctx context.Context, out chan<- msg.LogChunk) error {
	w := func(name string) io.Writer { return &chunker{ctx: ctx, out: out, stream: name} }
	if s.tty {
		_, err := io.Copy(w(msg.Stdout), s.rc)
		return quiet(ctx, err)
	}
	var pos position
	writers := map[byte]io.Writer{1: w(msg.Stdout), 2: w(msg.Stderr)}
	for failures := 0; ; failures++ {
		before := pos.progress()
		err := quiet(ctx, readFrames(s.rc, writers, &pos))
		s.rc.Close()
		if err == nil || !s.opts.Follow {
			return err
		}
		if pos.progress() != before {
			failures = 0
		}
		if failures >= maxResumes {
			return err
		}
		s.m.log.Debug("log follow broke off; resuming", "stream", s.id, "container", s.name, "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Duration(failures+1) * 20 * time.Millisecond):
		}
		opts := s.opts
		opts.Tail = "all"
		if !pos.last.IsZero() {
			opts.Since = fmt.Sprintf("%d.%09d", pos.last.Unix(), pos.last.Nanosecond())
		}
		pos.skip = pos.atLast
		rc, oerr := s.m.docker.ContainerLogs(ctx, s.container, opts)
		if oerr != nil {
			return quiet(ctx, oerr)
		}
		s.rc = rc
	}
}

// maxResumes bounds consecutive reopenings that bring nothing new.
const maxResumes = 20

// quiet drops the errors that only mean "the end" or "we stopped".
func quiet(ctx context.Context, err error) error {
	if err == nil || errors.Is(err, io.EOF) || ctx.Err() != nil {
		return nil
	}
	return err
}

// position is how far a stream has got: the time of the last message sent,
// how many messages of that exact time were sent (a long line is cut into
// pieces that share its time), whether the last one ended its line, and
// how many of that time to skip after a reopen.
type position struct {
	last      time.Time
	atLast    int
	lineEnded bool
	skip      int
	// lastStream and lastBody are the last message sent: only an exact
	// repeat of it counts as Docker's follower repeating a line. Two
	// different messages may share a timestamp (stdout and stderr written
	// in the same instant) and both must get through.
	lastStream byte
	lastBody   []byte
}

// mark is the comparable part of a position: whether reading got anywhere.
type mark struct {
	last   time.Time
	atLast int
}

func (p *position) progress() mark { return mark{p.last, p.atLast} }

// readFrames reads Docker's multiplexed stream: frames of an 8-byte header
// (stream 1 stdout, 2 stderr, 3 Docker's own error; 3 zero bytes; the
// big-endian length) and one timestamped message each.
func readFrames(r io.Reader, writers map[byte]io.Writer, pos *position) error {
	var hdr [8]byte
	buf := make([]byte, 32<<10)
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return err
			}
			return io.EOF
		}
		n := int(binary.BigEndian.Uint32(hdr[4:]))
		if n > len(buf) {
			buf = make([]byte, n)
		}
		frame := buf[:n]
		if _, err := io.ReadFull(r, frame); err != nil {
			return err
		}
		if hdr[0] == 3 {
			return errors.New(string(frame))
		}
		w, ok := writers[hdr[0]]
		if !ok {
			continue
		}
		body := frame
		if sp := bytes.IndexByte(frame, ' '); sp > 0 {
			if ts, err := time.Parse(time.RFC3339Nano, string(frame[:sp])); err == nil {
				body = frame[sp+1:]
				switch {
				case ts.Before(pos.last):
					continue // sent already (a reopen, or Docker replaying at a rotation)
				case ts.Equal(pos.last) && pos.skip > 0:
					pos.skip--
					continue
				case ts.Equal(pos.last) && pos.lineEnded && hdr[0] == pos.lastStream && bytes.Equal(body, pos.lastBody):
					// Pieces of one long line share its time; the very same
					// message again at the same time is Docker's follower
					// repeating the last line across a rotation.
					continue
				case ts.Equal(pos.last):
					pos.atLast++
				default:
					pos.last, pos.atLast, pos.skip = ts, 1, 0
				}
				pos.lineEnded = bytes.HasSuffix(body, []byte("\n"))
				pos.lastStream, pos.lastBody = hdr[0], append(pos.lastBody[:0], body...)
			}
		}
		if _, err := w.Write(body); err != nil {
			return err
		}
	}
}

// chunker turns writes into chunks of at most ChunkSize bytes, handed over
// one at a time.
type chunker struct {
	ctx    context.Context
	out    chan<- msg.LogChunk
	stream string
}

func (c *chunker) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), ChunkSize)
		// The caller reuses p: copy.
		data := append([]byte(nil), p[:k]...)
		select {
		case c.out <- msg.LogChunk{Kind: msg.LogData, Stream: c.stream, Data: data}:
		case <-c.ctx.Done():
			return n, c.ctx.Err()
		}
		n += k
		p = p[k:]
	}
	return n, nil
}
