package app

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"time"

	_ "github.com/lib/pq" // Postgres driver
	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/health"
	"github.com/dockeronline/platform/pkg/lifecycle"
	"github.com/dockeronline/platform/pkg/metrics"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/pkg/telemetry"
	"github.com/dockeronline/platform/services/runner/build"
	"github.com/dockeronline/platform/services/runner/container"
	"github.com/dockeronline/platform/services/runner/events"
	"github.com/dockeronline/platform/services/runner/image"
	"github.com/dockeronline/platform/services/runner/isolation"
	"github.com/dockeronline/platform/services/runner/logs"
	"github.com/dockeronline/platform/services/runner/network"
	"github.com/dockeronline/platform/services/runner/policy"
	"github.com/dockeronline/platform/services/runner/quota"
	"github.com/dockeronline/platform/services/runner/stack"
	"github.com/dockeronline/platform/services/runner/tenant"
	"github.com/dockeronline/platform/services/runner/terminal"
	"github.com/dockeronline/platform/services/runner/volume"
)

// Run serves until ctx ends (or a part fails), then shuts down in order:
// stop taking commands, drain NATS, stop following events.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	ctx = telemetry.WithService(ctx, "runner") // spans of background work name the service
	reg := metrics.NewRegistry("runner")
	docker, err := client.New(client.FromEnv)
	if err != nil {
		return fmt.Errorf("docker client: %w", err)
	}
	defer docker.Close()
	reg.MustRegister(dockerCollector(docker)) // metrics.go: containers and quota use per user

	nc, err := nats.Connect(cfg.NATSURL, nats.Name("runner"), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true))
	if err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	defer bus.ObserveHandlers(nc, reg)() // every command handler's latency and outcome
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	image.Install(image.NewAccess(docker, js, cfg.Images)) // who may use which image: image.MayUse

	db, err := sql.Open("postgres", cfg.DatabaseURL)
	if err != nil {
		nc.Close()
		return fmt.Errorf("postgres: %w", err)
	}
	defer db.Close()
	var store *quota.Store
	if err := lifecycle.Retry(ctx, log, "open quota store", func() (err error) {
		store, err = quota.OpenStore(ctx, db, cfg.Quota)
		return err
	}); err != nil {
		nc.Close()
		return err
	}
	gate := quota.NewGate(store, docker)
	var firewall *isolation.Firewall
	if cfg.Firewall.Enabled {
		// Before taking any command: no user container runs unisolated.
		firewall = isolation.New(docker, cfg.Firewall, log)
		if err := firewall.Ensure(ctx); err != nil {
			nc.Close()
			return fmt.Errorf("%w (RUNNER_FIREWALL=off if another tool owns this host's firewall)", err)
		}
	}
	pol := policy.New(cfg.Limits)

	// Builds and stacks run as jobs that outlive their command; stop* ends
	// them (failing their jobs) at shutdown.
	buildOpts, stackOpts := cfg.Build, cfg.Stack
	buildOpts.Registries, stackOpts.Build.Registries = cfg.Images.Registries, cfg.Images.Registries
	buildOpts.Quotas = gate
	if cfg.Build.BuildKit.Addr != "" {
		log.Info("builds run on standalone BuildKit", "addr", cfg.Build.BuildKit.Addr)
	} else {
		log.Warn("builds run on the engine's classic builder (RUNNER_BUILDKIT_ADDR unset): heredocs, RUN --mount and # syntax= are refused by it")
	}
	builder := build.NewBuilder(docker, pol, buildOpts) // one set of build slots for builds and stacks
	builds, stopBuilds := build.New(docker, js, pol, builder, container.Logging(log)(container.New(docker, pol, gate, cfg.Images.Registries, log)), log, buildOpts)
	stacks, stopStacks := stack.New(docker, js, pol, gate, builder, log, stackOpts)

	// Every runner command, feature by feature.
	handlers := bus.Handlers{}
	for _, hs := range []bus.Handlers{
		container.Handlers(container.MakeEndpoints(container.Logging(log)(container.New(docker, pol, gate, cfg.Images.Registries, log)))),
		volume.Handlers(volume.MakeEndpoints(volume.New(docker, gate))),
		network.Handlers(network.MakeEndpoints(network.New(docker, gate))),
		quota.Handlers(quota.NewService(gate)),
		tenant.Handlers(tenant.MakeEndpoints(tenant.Logging(log)(tenant.New(docker, log, forgetImageRefs(js))))),
		build.Handlers(build.MakeEndpoints(build.Logging(log)(builds))),
		stack.Handlers(stack.MakeEndpoints(stack.Logging(log)(stacks))),
	} {
		maps.Copy(handlers, hs)
	}
	if _, err := bus.Serve(nc, subjects.RunnerQueue, cfg.Concurrency, handlers); err != nil {
		nc.Close()
		return err
	}

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		nc.Close()
		return fmt.Errorf("listen %s: %w", cfg.HTTPAddr, err)
	}
	checks := health.Checks{
		"nats":     health.NATS(nc),
		"postgres": store.Ping,
		"docker": func(ctx context.Context) error {
			_, err := docker.Ping(ctx, client.PingOptions{})
			return err
		},
	}

	var g lifecycle.Group
	g.AddContext(ctx, func(ctx context.Context) error { <-ctx.Done(); return nil })
	mux := health.Handler(checks)
	reg.Mount(mux) // GET /metrics
	g.AddHTTP(&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, ln)
	g.AddNATS(nc)
	g.AddContext(ctx, events.NewFollower(docker, js, log).Run)
	if firewall != nil {
		g.AddContext(ctx, firewall.Run)
		reg.MustRegister(firewall.Collector())
	}
	g.AddContext(ctx, func(ctx context.Context) error { <-ctx.Done(); stopBuilds(); stopStacks(); return nil })
	term := terminal.New(docker, nc, cfg.Terminal, log)
	reg.MustRegister(term.Collector())
	g.AddContext(ctx, term.Run)
	g.AddContext(ctx, logs.New(docker, nc, cfg.Logs, log).Run)
	g.AddContext(ctx, image.NewServer(docker, nc, js, log, cfg.Images).Run)
	log.Info("runner serving", "http", ln.Addr().String(), "nats", cfg.NATSURL)
	return g.Run()
}

// forgetImageRefs drops a purged user's image references.
func forgetImageRefs(js jetstream.JetStream) tenant.Forgetter {
	return func(ctx context.Context, owner string) error {
		refs, err := image.OpenRefs(ctx, js)
		if err != nil {
			return err
		}
		_, err = refs.DropUser(ctx, owner)
		return err
	}
}
