package logs

import (
	"context"
	"log/slog"

	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Server serves log streams: it subscribes at construction and ends every
// stream when Run's context ends.
type Server struct {
	m      *manager
	cancel context.CancelFunc
	subs   []*nats.Subscription
	err    error
}

// concurrency bounds requests handled at once (streams run on their own).
const concurrency = 16

// New serves log streams with cfg.
func New(docker *client.Client, nc *nats.Conn, cfg Config, log *slog.Logger) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	m := newManager(ctx, docker, nc, cfg, log)
	subs, err := bus.Serve(nc, subjects.RunnerQueue, concurrency, Handlers(MakeEndpoints(Logging(log)(m))))
	return &Server{m: m, cancel: cancel, subs: subs, err: err}
}

// Run waits for ctx, then stops taking requests and ends every stream.
func (s *Server) Run(ctx context.Context) error {
	if s.err != nil {
		return s.err
	}
	<-ctx.Done()
	for _, sub := range s.subs {
		_ = sub.Unsubscribe()
	}
	s.cancel()
	s.m.streams.Wait()
	return nil
}
