package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"time"

	_ "github.com/lib/pq" // Postgres driver
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/health"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/lifecycle"
	"github.com/dockeronline/platform/pkg/metrics"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/pkg/telemetry"
	"github.com/dockeronline/platform/services/auth/account"
	"github.com/dockeronline/platform/services/auth/admin"
	"github.com/dockeronline/platform/services/auth/audit"
	"github.com/dockeronline/platform/services/auth/signup"
)

// Run serves until ctx ends, then drains NATS and closes the database.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	ctx = telemetry.WithService(ctx, "auth") // spans of background work name the service
	reg := metrics.NewRegistry("auth")
	// The host's own accounts join the reserved usernames (pkg/names).
	n, err := names.ReserveAccountsFrom(cfg.AccountFiles...)
	if err != nil {
		return fmt.Errorf("RESERVED_ACCOUNT_FILES: %w", err)
	}
	log.Info("reserved the host's account names", "count", n, "files", cfg.AccountFiles)
	if !cfg.Bootstrap.Configured() {
		log.Warn("no bootstrap admin: set BOOTSTRAP_ADMIN (a verified e-mail) or BOOTSTRAP_ADMIN_ID")
	}
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
	defer bus.ObserveHandlers(nc, reg)() // every command handler's latency and outcome
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return fmt.Errorf("jetstream: %w", err)
	}
	cache := account.NewSessionCache(cfg.CacheTTL, 0)
	svc := account.Logging(log)(account.New(account.NewKratosSessions(cfg.KratosPublicURL), store, js,
		account.Options{Bootstrap: cfg.Bootstrap, Cache: cache}, log))
	adm := admin.Logging(log)(admin.New(store, admin.NewKratosAdmin(cfg.KratosAdminURL), js, cache,
		admin.Options{Bootstrap: cfg.Bootstrap}, log))
	auditStore := audit.NewStore(db)
	auditSvc := audit.New(auditStore, enabledAdmin(store))

	// Every instance forgets a disabled or deleted user's sessions, not only
	// the one that served the admin command: JetStream events are also
	// delivered to plain subscribers of their subject.
	if err := forgetOnEvents(nc, cache, log); err != nil {
		nc.Close()
		return err
	}
	handlers := account.Handlers(account.MakeEndpoints(svc))
	maps.Copy(handlers, admin.Handlers(admin.MakeEndpoints(adm)))
	maps.Copy(handlers, audit.Handlers(audit.MakeEndpoints(auditSvc)))
	if _, err := bus.Serve(nc, subjects.AuthQueue, cfg.Concurrency, handlers); err != nil {
		nc.Close()
		return err
	}

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		nc.Close()
		return fmt.Errorf("listen %s: %w", cfg.HTTPAddr, err)
	}
	checks := health.Checks{"nats": health.NATS(nc), "postgres": store.Ping}
	mux := health.Handler(checks)
	reg.Mount(mux) // GET /metrics
	mux.Handle(signup.Path, signup.Handler())

	var g lifecycle.Group
	g.AddContext(ctx, func(ctx context.Context) error { <-ctx.Done(); return nil })
	g.AddHTTP(&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, ln)
	g.AddNATS(nc)
	g.AddContext(ctx, func(ctx context.Context) error {
		// The stream must exist before evt.user.created can be published
		// and the audit consumer made; NATS may come up after us.
		if err := lifecycle.Retry(ctx, log, "ensure EVENTS stream", func() error {
			_, err := bus.EnsureEventsStream(ctx, js)
			return err
		}); err != nil {
			return err
		}
		return audit.Consume(ctx, js, auditStore, log)
	})
	log.Info("auth serving", "http", ln.Addr().String(), "nats", cfg.NATSURL)
	return g.Run()
}

// enabledAdmin re-checks a caller's role in the users table.
func enabledAdmin(store *account.Store) audit.AdminCheck {
	return func(ctx context.Context, c identity.Caller) error {
		u, ok, err := store.Get(ctx, c.UserID)
		if err != nil {
			return fmt.Errorf("user store: %w", err)
		}
		if !ok || u.Role != identity.RoleAdmin || u.Disabled {
			return audit.ErrNotAdmin
		}
		return nil
	}
}

func forgetOnEvents(nc *nats.Conn, cache *account.SessionCache, log *slog.Logger) error {
	for _, subject := range []string{subjects.UserDisabled, subjects.UserDeleted} {
		if _, err := nc.Subscribe(subject, func(m *nats.Msg) {
			var ev msg.UserEvent
			if err := json.Unmarshal(m.Data, &ev); err != nil || ev.UserID == "" {
				log.Warn("unreadable user event", "subject", m.Subject, "err", err)
				return
			}
			cache.ForgetUser(ev.UserID)
		}); err != nil {
			return fmt.Errorf("subscribe %s: %w", subject, err)
		}
	}
	return nil
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
