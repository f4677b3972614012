package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/health"
	"github.com/dockeronline/platform/pkg/lifecycle"
	"github.com/dockeronline/platform/pkg/metrics"
	"github.com/dockeronline/platform/pkg/telemetry"
	"github.com/dockeronline/platform/services/provisioner/hostaccount"
	"github.com/dockeronline/platform/services/provisioner/provision"
	"github.com/dockeronline/platform/services/provisioner/sshclient"
	"github.com/dockeronline/platform/services/provisioner/store"
)

// Run serves until ctx ends (or a part fails), then shuts down in order:
// the event workers finish their messages, then NATS drains, then the SSH
// connection and the database close.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	ctx = telemetry.WithService(ctx, "provisioner") // spans of background work name the service
	reg := metrics.NewRegistry("provisioner")
	deps := provision.Deps{Probe: func(context.Context) error { return nil }, Log: log}
	if cfg.Enabled {
		// A missing key or host key is a configuration error: fail now.
		client, err := sshclient.New(cfg.SSH)
		if err != nil {
			return fmt.Errorf("ssh: %w", err)
		}
		defer client.Close()
		mgr, err := hostaccount.New(client, cfg.Host, cfg.MinUID, log)
		if err != nil {
			return err
		}
		deps.Accounts, deps.Probe = mgr, client.Probe
	} else {
		log.Warn("provisioning is disabled: user events are recorded, no Linux account is made")
	}

	var st *store.Store
	if err := lifecycle.Retry(ctx, log, "open the provisioner's store", func() (err error) {
		st, err = store.Open(ctx, cfg.DatabaseURL)
		return err
	}); err != nil {
		return err
	}
	defer st.Close()
	deps.Store = st
	reg.MustRegister(backlogCollector(st)) // metrics.go

	nc, err := nats.Connect(cfg.NATSURL, nats.Name("provisioner"), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true))
	if err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	defer bus.ObserveHandlers(nc, reg)() // every command handler's latency and outcome
	if deps.JS, err = jetstream.New(nc); err != nil {
		nc.Close()
		return fmt.Errorf("jetstream: %w", err)
	}
	p, err := provision.New(deps, cfg.Provision)
	if err != nil {
		nc.Close()
		return err
	}
	svc := provision.Chain(p.Service(), provision.Logging(log), provision.Tracing())
	if _, err := provision.Serve(nc, provision.MakeEndpoints(svc), cfg.Concurrency); err != nil {
		nc.Close()
		return err
	}

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		nc.Close()
		return fmt.Errorf("listen %s: %w", cfg.HTTPAddr, err)
	}
	checks := health.Checks{"nats": health.NATS(nc), "postgres": st.Ping, "ssh_host": p.HostReady}

	var g lifecycle.Group
	g.AddContext(ctx, func(ctx context.Context) error { <-ctx.Done(); return nil })
	mux := health.Handler(checks)
	reg.Mount(mux) // GET /metrics
	g.AddHTTP(&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, ln)
	addWorkers(ctx, &g, p, log) // before NATS: its interrupt waits for the workers
	g.AddNATS(nc)
	log.Info("provisioner serving", "http", ln.Addr().String(), "nats", cfg.NATSURL,
		"enabled", cfg.Enabled, "ssh", cfg.SSH.Addr)
	return g.Run()
}

// addWorkers runs the event consumer. Its interrupt returns only once the
// workers have finished their messages, and run groups interrupt actors in
// the order they were added: so the messages are acknowledged before NATS
// drains.
func addWorkers(parent context.Context, g *lifecycle.Group, p *provision.Provisioner, log *slog.Logger) {
	ctx, cancel := context.WithCancel(parent)
	done := make(chan struct{})
	g.Add(func() error {
		defer close(done)
		var c *provision.Consumer
		err := lifecycle.Retry(ctx, log, "create the provisioner's consumer", func() (err error) {
			c, err = p.Consumer(ctx)
			return err
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		return p.Run(ctx, c)
	}, func(error) {
		cancel()
		<-done
	})
}
