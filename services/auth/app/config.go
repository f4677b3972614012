// Package app wires the auth service: Postgres, Kratos, NATS and the
// account service. main runs it; tests run the same code in-process.
package app

import (
	"time"

	"github.com/dockeronline/platform/pkg/config"
)

// Config is the auth service's configuration (see README).
type Config struct {
	config.Common
	DatabaseURL     string        // DATABASE_URL
	KratosPublicURL string        // KRATOS_PUBLIC_URL
	KratosAdminURL  string        // KRATOS_ADMIN_URL
	BootstrapAdmin  string        // BOOTSTRAP_ADMIN: username or email of the first admin
	CacheTTL        time.Duration // AUTH_SESSION_CACHE_TTL, default 10s
	Concurrency     int           // AUTH_CONCURRENCY, default 64
}

// LoadConfig reads the environment.
func LoadConfig(e *config.Env) (Config, error) {
	c := Config{
		Common:          config.LoadCommon(e, "127.0.0.1:8081"),
		DatabaseURL:     e.String("DATABASE_URL", "postgres://postgres@127.0.0.1:55432/platform?sslmode=disable"),
		KratosPublicURL: e.String("KRATOS_PUBLIC_URL", "http://127.0.0.1:4433"),
		KratosAdminURL:  e.String("KRATOS_ADMIN_URL", "http://127.0.0.1:4434"),
		BootstrapAdmin:  e.String("BOOTSTRAP_ADMIN", ""),
		CacheTTL:        e.Duration("AUTH_SESSION_CACHE_TTL", 10*time.Second),
		Concurrency:     e.Int("AUTH_CONCURRENCY", 64),
	}
	return c, e.Err()
}
