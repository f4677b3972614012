// Package quota keeps per-user quotas (containers, memory, CPUs, volumes,
// networks)
// and admits creates against them. Usage is counted from Docker, the truth,
// under a per-user Postgres advisory lock held until the create is done, so
// two concurrent creates — on one runner or several — cannot both slip past
// the limit.
package quota

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"io/fs"

	"github.com/dockeronline/platform/pkg/migrate"
	"github.com/dockeronline/platform/pkg/msg"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Schema is the runner's own Postgres schema.
const Schema = "runner"

// Store reads and writes quota overrides.
type Store struct {
	db       *sql.DB
	defaults msg.Quota
}

// OpenStore migrates the schema and returns a store with defaults.
func OpenStore(ctx context.Context, db *sql.DB, defaults msg.Quota) (*Store, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	if err := migrate.Apply(ctx, db, Schema, sub); err != nil {
		return nil, err
	}
	return &Store{db: db, defaults: defaults}, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Get is userID's quota: overrides over defaults.
func (s *Store) Get(ctx context.Context, userID string) (msg.Quota, error) {
	return s.get(ctx, s.db, userID)
}

func (s *Store) get(ctx context.Context, q querier, userID string) (msg.Quota, error) {
	var c, v, n sql.NullInt32
	var m sql.NullInt64
	var cpu sql.NullFloat64
	err := q.QueryRowContext(ctx, `SELECT max_containers, max_memory_mb, max_cpus, max_volumes, max_networks FROM runner.quotas WHERE user_id = $1`, userID).Scan(&c, &m, &cpu, &v, &n)
	out := s.defaults
	if errors.Is(err, sql.ErrNoRows) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	if c.Valid {
		out.Containers = int(c.Int32)
	}
	if m.Valid {
		out.MemoryMB = m.Int64
	}
	if cpu.Valid {
		out.CPUs = cpu.Float64
	}
	if v.Valid {
		out.Volumes = int(v.Int32)
	}
	if n.Valid {
		out.Networks = int(n.Int32)
	}
	r, err := s.runtime(ctx, q, userID)
	if r != "" {
		out.Runtime = r
	}
	return out, err
}

// Set applies an admin's change; nil fields keep their value.
func (s *Store) Set(ctx context.Context, r msg.QuotaSetRequest) error {
	if r.Reset {
		_, err := s.db.ExecContext(ctx, `DELETE FROM runner.quotas WHERE user_id = $1`, r.UserID)
		return err
	}
	_, err := s.db.ExecContext(ctx, `
INSERT INTO runner.quotas (user_id, max_containers, max_memory_mb, max_cpus, max_volumes, max_networks)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (user_id) DO UPDATE SET
    max_containers = COALESCE($2, runner.quotas.max_containers),
    max_memory_mb  = COALESCE($3, runner.quotas.max_memory_mb),
    max_cpus       = COALESCE($4, runner.quotas.max_cpus),
    max_volumes    = COALESCE($5, runner.quotas.max_volumes),
    max_networks   = COALESCE($6, runner.quotas.max_networks),
    updated_at     = now()`, r.UserID, r.Containers, r.MemoryMB, r.CPUs, r.Volumes, r.Networks)
	if err == nil && r.Runtime != nil {
		err = s.setRuntime(ctx, r.UserID, *r.Runtime)
	}
	return err
}

// Ping checks the database.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }
