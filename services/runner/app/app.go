package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/health"
	"github.com/dockeronline/platform/pkg/lifecycle"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/runner/container"
	"github.com/dockeronline/platform/services/runner/events"
	"github.com/dockeronline/platform/services/runner/policy"
)

// Run serves until ctx ends (or a part fails), then shuts down in order:
// stop taking commands, drain NATS, stop following events.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	docker, err := client.New(client.FromEnv)
	if err != nil {
		return fmt.Errorf("docker client: %w", err)
	}
	defer docker.Close()

	nc, err := nats.Connect(cfg.NATSURL, nats.Name("runner"), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true))
	if err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}

	svc := container.Logging(log)(container.New(docker, policy.New(cfg.Limits), log))
	if _, err := bus.Serve(nc, subjects.RunnerQueue, cfg.Concurrency, container.Handlers(container.MakeEndpoints(svc))); err != nil {
		nc.Close()
		return err
	}

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		nc.Close()
		return fmt.Errorf("listen %s: %w", cfg.HTTPAddr, err)
	}
	checks := health.Checks{
		"nats": health.NATS(nc),
		"docker": func(ctx context.Context) error {
			_, err := docker.Ping(ctx, client.PingOptions{})
			return err
		},
	}

	var g lifecycle.Group
	g.AddContext(ctx, func(ctx context.Context) error { <-ctx.Done(); return nil })
	g.AddHTTP(&http.Server{Handler: health.Handler(checks), ReadHeaderTimeout: 10 * time.Second}, ln)
	g.AddNATS(nc)
	g.AddContext(ctx, events.NewFollower(docker, js, log).Run)
	log.Info("runner serving", "http", ln.Addr().String(), "nats", cfg.NATSURL)
	return g.Run()
}
