// Package logs streams a container's logs to a reader over NATS with
// credit-based flow control (see pkg/msg/logs.go for the protocol): the
// runner publishes at most as many chunks as the reader granted, and both
// sides send heartbeats so a vanished peer ends the stream.
package logs

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/runner/access"
	"github.com/dockeronline/platform/services/runner/engine"
)

// Service starts log streams.
type Service interface {
	// Logs checks the request, opens the container's logs and returns; the
	// logs follow on stream.<id>.out.
	Logs(ctx context.Context, req msg.LogsRequest) (msg.LogsStarted, error)
}

// Sentinel errors.
var (
	ErrBadStream = apierr.Invalid("stream must be 16 to 64 letters and digits")
)

type manager struct {
	docker *client.Client
	nc     *nats.Conn
	cfg    Config
	log    *slog.Logger

	ctx     context.Context // the runner's life; streams end with it
	streams sync.WaitGroup
}

func newManager(ctx context.Context, docker *client.Client, nc *nats.Conn, cfg Config, log *slog.Logger) *manager {
	return &manager{docker: docker, nc: nc, cfg: cfg, log: log, ctx: ctx}
}

func (m *manager) Logs(ctx context.Context, req msg.LogsRequest) (msg.LogsStarted, error) {
	if !msg.ValidStreamID(req.Stream) {
		return msg.LogsStarted{}, ErrBadStream
	}
	tail, err := parseTail(req.Tail)
	if err != nil {
		return msg.LogsStarted{}, err
	}
	since, err := parseSince(req.Since, time.Now())
	if err != nil {
		return msg.LogsStarted{}, err
	}
	credit := req.Credit
	switch {
	case credit <= 0:
		credit = DefaultCredit
	case credit > MaxCredit:
		credit = MaxCredit
	}
	_, sum, err := access.Container(ctx, m.docker, req.Name, req.Owner)
	if err != nil {
		return msg.LogsStarted{}, err
	}
	in, err := m.docker.ContainerInspect(ctx, sum.ID, client.ContainerInspectOptions{})
	if err != nil {
		return msg.LogsStarted{}, engine.FromDocker("inspect container "+req.Name, err)
	}
	tty := in.Container.Config != nil && in.Container.Config.Tty

	// The stream outlives this request: it has the runner's life, and its
	// own end (reader gone, cancel, logs over).
	sctx, cancel := context.WithCancel(m.ctx)
	opts := client.ContainerLogsOptions{
		ShowStdout: true, ShowStderr: true, Follow: req.Follow, Tail: tail, Since: since,
		// Multiplexed logs carry Docker's timestamps (stripped before they
		// are sent) so a follow can resume exactly where it broke off.
		Timestamps: !tty,
	}
	rc, err := m.docker.ContainerLogs(sctx, sum.ID, opts)
	if err != nil {
		cancel()
		return msg.LogsStarted{}, engine.FromDocker("read the logs of container "+req.Name, err)
	}
	// Subscribe to the reader's control subject before answering, so its
	// first grant or cancel cannot be missed.
	ctl := make(chan *nats.Msg, 64)
	sub, err := m.nc.ChanSubscribe(subjects.StreamCtl(req.Stream), ctl)
	if err != nil {
		cancel()
		rc.Close()
		return msg.LogsStarted{}, apierr.New(apierr.CodeUnavailable, "could not subscribe to the stream's control: %v", err)
	}
	s := &stream{m: m, id: req.Stream, name: req.Name, container: sum.ID, opts: opts, tty: tty, rc: rc, ctl: ctl, sub: sub, credit: credit}
	m.streams.Add(1)
	go func() {
		defer m.streams.Done()
		defer cancel()
		s.run(sctx)
	}()
	return msg.LogsStarted{Stream: req.Stream, Container: req.Name, TTY: tty}, nil
}

// parseTail accepts "" or "all" (everything) or a number of lines.
func parseTail(v string) (string, error) {
	if v == "" || v == "all" {
		return "all", nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return "", apierr.Invalid("tail=%q must be a number of lines or \"all\"", v)
	}
	return strconv.Itoa(n), nil
}

// parseSince accepts an RFC 3339 time, unix seconds, or a duration back
// from now ("10m"), and gives Docker unix seconds.
func parseSince(v string, now time.Time) (string, error) {
	if v == "" {
		return "", nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return strconv.FormatInt(t.Unix(), 10), nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return strconv.FormatInt(now.Add(-d).Unix(), 10), nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && !strings.ContainsAny(v, "eEnN") {
		return v, nil
	}
	return "", apierr.Invalid("since=%q must be an RFC 3339 time, unix seconds or a duration such as 10m", v)
}
