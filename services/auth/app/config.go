// Package app wires the auth service: Postgres, Kratos, NATS and the
// account service. main runs it; tests run the same code in-process.
package app

import (
	"fmt"
	"strings"
	"time"

	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/services/auth/account"
)

// Config is the auth service's configuration (see README).
type Config struct {
	config.Common
	DatabaseURL     string // DATABASE_URL
	KratosPublicURL string // KRATOS_PUBLIC_URL
	KratosAdminURL  string // KRATOS_ADMIN_URL
	// Bootstrap is the first admin: BOOTSTRAP_ADMIN_ID (a Kratos identity
	// id) and/or BOOTSTRAP_ADMIN (an e-mail address, honoured only once
	// Kratos has verified it). Never a username: anyone could register it.
	Bootstrap account.Bootstrap
	// AccountFiles are passwd/group files whose names are reserved as
	// usernames (RESERVED_ACCOUNT_FILES, comma-separated, default
	// /etc/passwd,/etc/group: the host's system accounts when auth runs on
	// the Docker host; missing files are skipped).
	AccountFiles []string
	CacheTTL     time.Duration // AUTH_SESSION_CACHE_TTL, default 10s
	Concurrency  int           // AUTH_CONCURRENCY, default 64
}

// LoadConfig reads the environment.
func LoadConfig(e *config.Env) (Config, error) {
	c := Config{
		Common:          config.LoadCommon(e, "127.0.0.1:8081"),
		DatabaseURL:     e.String("DATABASE_URL", "postgres://postgres@127.0.0.1:55432/platform?sslmode=disable"),
		KratosPublicURL: e.String("KRATOS_PUBLIC_URL", "http://127.0.0.1:4433"),
		KratosAdminURL:  e.String("KRATOS_ADMIN_URL", "http://127.0.0.1:4434"),
		Bootstrap: account.Bootstrap{
			ID:    strings.TrimSpace(e.String("BOOTSTRAP_ADMIN_ID", "")),
			Email: strings.TrimSpace(e.String("BOOTSTRAP_ADMIN", "")),
		},
		AccountFiles: e.List("RESERVED_ACCOUNT_FILES", "/etc/passwd,/etc/group"),
		CacheTTL:     e.Duration("AUTH_SESSION_CACHE_TTL", 10*time.Second),
		Concurrency:  e.Int("AUTH_CONCURRENCY", 64),
	}
	if err := e.Err(); err != nil {
		return c, err
	}
	if c.Bootstrap.Email != "" && !strings.Contains(c.Bootstrap.Email, "@") {
		return c, fmt.Errorf("config: BOOTSTRAP_ADMIN=%q must be an e-mail address (honoured once verified), not a username; or set BOOTSTRAP_ADMIN_ID to a Kratos identity id", c.Bootstrap.Email)
	}
	return c, nil
}
