package quota

import (
	"context"
	"database/sql"
	"errors"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/services/runner/access"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/policy"
)

// The per-user runtime lives beside the quota because it is the same kind
// of thing: what an admin decides about a user's containers, never the user.

// runtime is the runtime an admin chose for userID, "" for the default.
func (s *Store) runtime(ctx context.Context, q querier, userID string) (string, error) {
	var r sql.NullString
	err := q.QueryRowContext(ctx, `SELECT runtime FROM runner.quotas WHERE user_id = $1`, userID).Scan(&r)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return r.String, err
}

// setRuntime records an admin's choice; "" returns the user to the default.
func (s *Store) setRuntime(ctx context.Context, userID, runtime string) error {
	_, err := s.db.ExecContext(ctx, `
INSERT INTO runner.quotas (user_id, runtime) VALUES ($1, NULLIF($2, ''))
ON CONFLICT (user_id) DO UPDATE SET runtime = NULLIF($2, ''), updated_at = now()`, userID, runtime)
	return err
}

// Tenant is caller c's tenant with the runtime an admin chose for them, for
// the policy to apply (policy.Engine.ApplyRuntime). Every path that creates
// containers asks here, so an admin's change holds from the next create on,
// on every runner.
func (g *Gate) Tenant(ctx context.Context, c identity.Caller) (policy.Tenant, error) {
	t := access.Tenant(c)
	r, err := g.store.runtime(ctx, g.store.db, t.UserID)
	if err != nil {
		return t, apierr.New(apierr.CodeUnavailable, "quota store unavailable")
	}
	t.Runtime = r
	return t, nil
}

// checkRuntime refuses a runtime the engine does not know: a user set to
// it could create nothing.
func (g *Gate) checkRuntime(ctx context.Context, name string) error {
	if err := policy.ValidRuntime(name); err != nil {
		return err
	}
	info, err := g.docker.Info(ctx, client.InfoOptions{})
	if err != nil {
		return engine.FromDocker("docker info", err)
	}
	if _, ok := info.Info.Runtimes[name]; !ok {
		return apierr.Invalid("runtime %q is not registered with this host's Docker engine (make deps registers runsc)", name)
	}
	return nil
}
