package terminal

import (
	"context"
	"log/slog"
	"time"

	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Server serves terminal sessions: it subscribes at construction (so the
// runner answers as soon as it is up) and sweeps and finally closes the
// sessions in Run.
type Server struct {
	m    *manager
	subs []*nats.Subscription
	err  error
}

// concurrency bounds opens handled at once (each makes a few Docker calls).
const concurrency = 16

// New serves terminal sessions with cfg.
func New(docker *client.Client, nc *nats.Conn, cfg Config, log *slog.Logger) *Server {
	m := newManager(docker, nc, cfg, log)
	subs, err := bus.Serve(nc, subjects.RunnerQueue, concurrency, Handlers(MakeEndpoints(Logging(log)(m))))
	return &Server{m: m, subs: subs, err: err}
}

// Run sweeps expired sessions until ctx ends, then stops taking opens and
// ends every session.
func (s *Server) Run(ctx context.Context) error {
	if s.err != nil {
		return s.err
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case now := <-tick.C:
			s.m.sweep(now)
		case <-ctx.Done():
			for _, sub := range s.subs {
				_ = sub.Unsubscribe()
			}
			s.m.closeAll("the runner is stopping")
			return nil
		}
	}
}
