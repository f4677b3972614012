package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/dockeronline/platform/pkg/identity"
)

// The store's administration side: what the admin commands read and change.

const userColumns = `id, username, email, role, disabled, created_at, last_login, created_event_sent, state_version`

type rowScanner interface{ Scan(dest ...any) error }

func scanUser(r rowScanner) (User, error) {
	var u User
	err := r.Scan(&u.ID, &u.Username, &u.Email, &u.Role, &u.Disabled, &u.CreatedAt, &u.LastLogin, &u.CreatedEventSent, &u.StateVersion)
	return u, err
}

// Get returns the user with id; ok is false when there is none.
func (s *Store) Get(ctx context.Context, id string) (u User, ok bool, err error) {
	u, err = scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth.users WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, false, nil
	}
	return u, err == nil, err
}

// GetByUsername returns the user named username; ok is false when none is.
func (s *Store) GetByUsername(ctx context.Context, username string) (u User, ok bool, err error) {
	u, err = scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth.users WHERE username = $1`, username))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, false, nil
	}
	return u, err == nil, err
}

// List returns every user, by username.
func (s *Store) List(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userColumns+` FROM auth.users ORDER BY username`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Insert records a user an admin created (not logged in yet). Inserting an
// existing id returns the row as it is; a deleted id gives ErrUserGone.
func (s *Store) Insert(ctx context.Context, id, username, email string, role identity.Role) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `
INSERT INTO auth.users (id, username, email, role)
SELECT $1, $2, $3, $4
WHERE NOT EXISTS (SELECT 1 FROM auth.deleted_users WHERE id = $1)
ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id
RETURNING `+userColumns, id, username, email, string(role)))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrUserGone
	}
	return u, err
}

// SetDisabled sets the disabled flag; every change bumps state_version.
func (s *Store) SetDisabled(ctx context.Context, id string, disabled bool) (User, error) {
	return scanUser(s.db.QueryRowContext(ctx, `
UPDATE auth.users SET disabled = $2,
    state_version = state_version + CASE WHEN disabled = $2 THEN 0 ELSE 1 END
WHERE id = $1 RETURNING `+userColumns, id, disabled))
}

// ErrLastAdmin is returned when a change would leave no enabled admin.
var ErrLastAdmin = errors.New("last enabled admin")

// SetRole changes a user's role. Demoting (or, with disable, switching
// off) the last enabled admin is refused in the same statement, so the
// check and the change cannot be split by another request.
func (s *Store) SetRole(ctx context.Context, id string, role identity.Role) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `
UPDATE auth.users SET role = $2
WHERE id = $1 AND ($2 = 'admin' OR role <> 'admin' OR
    EXISTS (SELECT 1 FROM auth.users o WHERE o.role = 'admin' AND NOT o.disabled AND o.id <> $1))
RETURNING `+userColumns, id, string(role)))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrLastAdmin
	}
	return u, err
}

// OtherEnabledAdmins counts enabled admins other than id.
func (s *Store) OtherEnabledAdmins(ctx context.Context, id string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM auth.users WHERE role = 'admin' AND NOT disabled AND id <> $1`, id).Scan(&n)
	return n, err
}

// Deleted reports whether id was deleted, and its username then.
func (s *Store) Deleted(ctx context.Context, id string) (username string, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT username FROM auth.deleted_users WHERE id = $1`, id).Scan(&username)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return username, err == nil, err
}

// Delete removes the user's row and leaves a tombstone, in one
// transaction. Deleting a deleted user is a no-op.
func (s *Store) Delete(ctx context.Context, id, username string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `INSERT INTO auth.deleted_users (id, username) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, id, username); err != nil {
		return fmt.Errorf("tombstone: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM auth.users WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	return tx.Commit()
}
