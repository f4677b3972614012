package account

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"time"

	"github.com/lib/pq"

	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Schema is the auth service's own Postgres schema.
const Schema = "auth"

// User is a platform user row.
type User struct {
	ID               string
	Username         string
	Email            string
	Role             identity.Role
	Disabled         bool
	CreatedAt        time.Time
	LastLogin        *time.Time
	CreatedEventSent bool
	// StateVersion counts disable/enable changes (event ids).
	StateVersion int64
}

// Store keeps users in Postgres.
type Store struct{ db *sql.DB }

// OpenStore migrates the schema and returns the store.
func OpenStore(ctx context.Context, db *sql.DB) (*Store, error) {
	sub, err := fsSub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	if err := migrate.Apply(ctx, db, Schema, sub); err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

// ErrUserGone is returned for a user id that was deleted: its tombstone in
// auth.deleted_users keeps a late session check from bringing it back.
var ErrUserGone = errors.New("user was deleted")

// Ensure records a user seen in a valid session and returns the row. A new
// user is an admin when bootstrapAdmin says so; so is an existing one, since
// the bootstrap admin comes from configuration. A deleted user is not
// recreated (ErrUserGone).
func (s *Store) Ensure(ctx context.Context, id, username, email string, bootstrapAdmin bool) (User, error) {
	role := identity.RoleUser
	if bootstrapAdmin {
		role = identity.RoleAdmin
	}
	u, err := s.ensure(ctx, id, username, email, role)
	// Two first requests of a new user race: the loser can trip the
	// username index before the id conflict is seen. The row exists now,
	// so once more takes the update path.
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		u, err = s.ensure(ctx, id, username, email, role)
	}
	return u, err
}

func (s *Store) ensure(ctx context.Context, id, username, email string, role identity.Role) (User, error) {
	var u User
	err := s.db.QueryRowContext(ctx, `
INSERT INTO auth.users (id, username, email, role, last_login)
SELECT $1, $2, $3, $4, now()
WHERE NOT EXISTS (SELECT 1 FROM auth.deleted_users WHERE id = $1)
ON CONFLICT (id) DO UPDATE SET
    email = EXCLUDED.email,
    last_login = now(),
    role = CASE WHEN $4 = 'admin' THEN 'admin' ELSE auth.users.role END
RETURNING `+userColumns,
		id, username, email, string(role)).Scan(&u.ID, &u.Username, &u.Email, &u.Role, &u.Disabled, &u.CreatedAt, &u.LastLogin, &u.CreatedEventSent, &u.StateVersion)
	if errors.Is(err, sql.ErrNoRows) {
		return u, ErrUserGone
	}
	return u, err
}

// MarkCreatedSent records that evt.user.created was acknowledged.
func (s *Store) MarkCreatedSent(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE auth.users SET created_event_sent = true WHERE id = $1`, id)
	return err
}

// Ping checks the database.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }
