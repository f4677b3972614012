package app

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	_ "github.com/lib/pq" // Postgres driver
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/health"
	"github.com/dockeronline/platform/pkg/lifecycle"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/auth/account"
)

// Run serves until ctx ends, then drains NATS and closes the database.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	db, err := sql.Open("postgres", cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer db.Close()
	store, err := openStore(ctx, db, log)
	if err != nil {
		return err
	}

	nc, err := nats.Connect(cfg.NATSURL, nats.Name("auth"), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true))
	if err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return fmt.Errorf("jetstream: %w", err)
	}
	svc := account.Logging(log)(account.New(account.NewKratosSessions(cfg.KratosPublicURL), store, js,
		account.Options{BootstrapAdmin: cfg.BootstrapAdmin, CacheTTL: cfg.CacheTTL}, log))
	if _, err := bus.Serve(nc, subjects.AuthQueue, cfg.Concurrency, account.Handlers(account.MakeEndpoints(svc))); err != nil {
		nc.Close()
		return err
	}

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		nc.Close()
		return fmt.Errorf("listen %s: %w", cfg.HTTPAddr, err)
	}
	checks := health.Checks{"nats": health.NATS(nc), "postgres": store.Ping}

	var g lifecycle.Group
	g.AddContext(ctx, func(ctx context.Context) error { <-ctx.Done(); return nil })
	g.AddHTTP(&http.Server{Handler: health.Handler(checks), ReadHeaderTimeout: 10 * time.Second}, ln)
	g.AddNATS(nc)
	g.AddTask(ctx, func(ctx context.Context) error {
		// The stream must exist before evt.user.created can be published;
		// NATS may come up after us, so keep trying.
		return lifecycle.Retry(ctx, log, "ensure EVENTS stream", func() error {
			_, err := bus.EnsureEventsStream(ctx, js)
			return err
		})
	})
	log.Info("auth serving", "http", ln.Addr().String(), "nats", cfg.NATSURL)
	return g.Run()
}

// openStore waits for Postgres (it may start after us) and migrates.
func openStore(ctx context.Context, db *sql.DB, log *slog.Logger) (*account.Store, error) {
	var store *account.Store
	err := lifecycle.Retry(ctx, log, "open user store", func() error {
		var err error
		store, err = account.OpenStore(ctx, db)
		return err
	})
	return store, err
}
