// Package migrate applies a service's embedded SQL migrations to its own
// Postgres schema at start. Files are applied in name order, each once, in
// one transaction holding an advisory lock, so several replicas starting at
// once apply them exactly once.
package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
)

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// Apply creates schema if needed and applies the *.sql files of fsys that
// are not yet recorded in <schema>.schema_migrations.
func Apply(ctx context.Context, db *sql.DB, schema string, fsys fs.FS) error {
	if !schemaName.MatchString(schema) {
		return fmt.Errorf("migrate: bad schema name %q", schema)
	}
	files, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", schema, err)
	}
	defer func() { _ = tx.Rollback() }()
	stmts := []string{
		"SELECT pg_advisory_xact_lock(hashtext('migrate:' || $1))",
		"CREATE SCHEMA IF NOT EXISTS " + schema,
		"CREATE TABLE IF NOT EXISTS " + schema + ".schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
	}
	if _, err := tx.ExecContext(ctx, stmts[0], schema); err != nil {
		return fmt.Errorf("migrate %s: lock: %w", schema, err)
	}
	for _, s := range stmts[1:] {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("migrate %s: %w", schema, err)
		}
	}
	for _, f := range files {
		var done bool
		if err := tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM "+schema+".schema_migrations WHERE name = $1)", f).Scan(&done); err != nil {
			return fmt.Errorf("migrate %s: %w", schema, err)
		}
		if done {
			continue
		}
		body, err := fs.ReadFile(fsys, f)
		if err != nil {
			return err
		}
		// Files name their tables unqualified; the search path puts them in
		// the service's schema.
		if _, err := tx.ExecContext(ctx, "SET LOCAL search_path TO "+schema); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, strings.TrimSpace(string(body))); err != nil {
			return fmt.Errorf("migrate %s: %s: %w", schema, f, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO "+schema+".schema_migrations (name) VALUES ($1)", f); err != nil {
			return err
		}
	}
	return tx.Commit()
}
