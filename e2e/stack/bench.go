package stack

import (
	"testing"

	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/testenv"
	"github.com/dockeronline/platform/services/auth/authtest"
	"github.com/dockeronline/platform/services/gateway/gatewaytest"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// StartWithSessionCacheTTL is Start with the auth service's session cache
// set to ttl (AUTH_SESSION_CACHE_TTL, e.g. "10s"; "0s" turns the cache off
// so every request's session is checked with Kratos). Benchmarks use it to
// show what the cache buys. gatewayEnv are settings of the gateway's own
// (API_RATE_*, …).
func StartWithSessionCacheTTL(t testing.TB, ttl string, gatewayEnv ...map[string]string) *Stack {
	t.Helper()
	docker := dockertest.Client(t)
	img := dockertest.BusyboxImage(t, docker)
	srv := natstest.Server(t)
	dsn := testenv.Postgres(t)
	k := testenv.StartKratos(t, testenv.NewDatabase(t, dsn), testenv.WithDevMode())
	s := &Stack{Kratos: k, NATSURL: srv.ClientURL(), Docker: docker, Image: img, Admin: "admin-" + randomHex(4)}
	authtest.Start(t, authtest.Options{
		NATSURL: s.NATSURL, DatabaseURL: dsn, CacheTTL: ttl,
		KratosPublicURL: k.PublicURL, KratosAdminURL: k.AdminURL, BootstrapAdmin: s.AdminEmail(),
	})
	runnertest.Start(t, s.NATSURL, map[string]string{"DATABASE_URL": testenv.NewDatabase(t, dsn)})
	s.GatewayURL = gatewaytest.Start(t, s.NATSURL, k.PublicURL, gatewayEnv...)
	return s
}
