// Package store keeps the provisioner's state in Postgres (schema
// provisioner): one row per platform user's Linux account, and the dead
// letters.
package store

import (
	"context"
	"database/sql"
	"fmt"

	_ "github.com/lib/pq" // the Postgres driver
)

// Store is the provisioner's database.
type Store struct {
	db *sql.DB
}

// Open connects to dsn, checks the connection and applies the migrations.
func Open(ctx context.Context, dsn string) (*Store, error) {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := Migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db}, nil
}

// Ping checks the database answers (readiness).
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Close closes the pool.
func (s *Store) Close() error { return s.db.Close() }
