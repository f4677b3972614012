package store

import (
	"context"
	"database/sql"
	"embed"
	"io/fs"

	"github.com/dockeronline/platform/pkg/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Schema is the provisioner's own Postgres schema.
const Schema = "provisioner"

// Migrate applies the embedded migrations not applied yet (pkg/migrate:
// in name order, once, under an advisory lock).
func Migrate(ctx context.Context, db *sql.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	return migrate.Apply(ctx, db, Schema, sub)
}
