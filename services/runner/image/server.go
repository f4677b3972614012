package image

import (
	"context"
	"log/slog"

	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/jobs"
	"github.com/dockeronline/platform/pkg/lifecycle"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Server serves the image commands as one actor of the runner's run group:
//
//	g.AddContext(ctx, image.NewServer(docker, nc, js, log, opts).Run)
type Server struct {
	docker *client.Client
	nc     *nats.Conn
	js     jetstream.JetStream
	log    *slog.Logger
	opts   Options
	// Ready, if set, is called once the commands are subscribed (tests).
	Ready func()
}

// NewServer returns the image server.
func NewServer(docker *client.Client, nc *nats.Conn, js jetstream.JetStream, log *slog.Logger, opts Options) *Server {
	return &Server{docker: docker, nc: nc, js: js, log: log, opts: opts.withDefaults()}
}

// Run makes sure the JOBS stream, the jobs and image-refs buckets and the
// EVENTS stream exist (retrying while NATS comes up), serves until ctx
// ends, then stops taking commands and ends running pulls, which record
// their failure before Run returns.
func (s *Server) Run(ctx context.Context) error {
	var refs *Refs
	err := lifecycle.Retry(ctx, s.log, "image store setup", func() error {
		if err := jobs.Ensure(ctx, s.js); err != nil {
			return err
		}
		if _, err := bus.EnsureEventsStream(ctx, s.js); err != nil {
			return err
		}
		var err error
		refs, err = OpenRefs(ctx, s.js)
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	svc, stop := New(s.docker, s.js, refs, s.log, s.opts)
	subs, err := bus.Serve(s.nc, subjects.RunnerQueue, s.opts.Concurrency, Handlers(MakeEndpoints(Logging(s.log)(svc))))
	if err != nil {
		stop()
		return err
	}
	if s.Ready != nil {
		s.Ready()
	}
	<-ctx.Done()
	for _, sub := range subs {
		_ = sub.Unsubscribe()
	}
	stop()
	return nil
}
