// Package authtest starts the real auth service in-process for tests.
package authtest

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/auth/app"
)

// Options are what a test sets; the rest are the service's defaults.
type Options struct {
	NATSURL         string
	DatabaseURL     string
	KratosPublicURL string
	KratosAdminURL  string
	// BootstrapAdmin is an e-mail address, honoured once verified
	// (BOOTSTRAP_ADMIN); BootstrapAdminID an identity id.
	BootstrapAdmin   string
	BootstrapAdminID string
	CacheTTL         string // e.g. "10s"; "" keeps the default
	// HTTPAddr is where health and the Kratos registration hook are served
	// (default 127.0.0.1:0); set it when Kratos must call the hook.
	HTTPAddr string
}

// Start runs the auth service until the test ends.
func Start(t testing.TB, o Options) {
	t.Helper()
	if o.HTTPAddr == "" {
		o.HTTPAddr = "127.0.0.1:0"
	}
	env := map[string]string{
		"NATS_URL":           o.NATSURL,
		"HTTP_ADDR":          o.HTTPAddr,
		"DATABASE_URL":       o.DatabaseURL,
		"KRATOS_PUBLIC_URL":  o.KratosPublicURL,
		"KRATOS_ADMIN_URL":   o.KratosAdminURL,
		"BOOTSTRAP_ADMIN":    o.BootstrapAdmin,
		"BOOTSTRAP_ADMIN_ID": o.BootstrapAdminID,
	}
	if o.CacheTTL != "" {
		env["AUTH_SESSION_CACHE_TTL"] = o.CacheTTL
	}
	cfg, err := app.LoadConfig(config.FromMap(env))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	go func() { done <- app.Run(ctx, cfg, log) }()
	// Any answer to a bogus token, even "unauthenticated", means it serves.
	natstest.WaitServing(t, o.NATSURL, subjects.AuthSessionCheck, msg.SessionCheck{Token: "probe"})
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("auth stopped with error: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("auth did not stop within 30s")
		}
	})
}
