package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/dockeronline/platform/pkg/msg"
)

// ErrUsernameHeld means another user's live account row holds the username
// (typically a deleted user whose removal has not been processed yet).
var ErrUsernameHeld = errors.New("the username is held by another user's account")

// Account is one row of linux_accounts.
type Account struct {
	UserID      string
	Username    string
	Operation   msg.ProvisionOperation
	State       msg.ProvisionState
	Reason      string
	Attempts    int
	LastEventID string
	UpdatedAt   time.Time
}

// Message is the account as the bus shows it.
func (a Account) Message() msg.LinuxAccount {
	return msg.LinuxAccount{UserID: a.UserID, Username: a.Username, Operation: a.Operation, State: a.State,
		Reason: a.Reason, Attempts: a.Attempts, UpdatedAt: a.UpdatedAt}
}

const accountColumns = `user_id, username, operation, state, reason, attempts, last_event_id, updated_at`

func scanAccount(row interface{ Scan(...any) error }) (Account, error) {
	var a Account
	err := row.Scan(&a.UserID, &a.Username, &a.Operation, &a.State, &a.Reason, &a.Attempts, &a.LastEventID, &a.UpdatedAt)
	return a, err
}

// Get returns the account of userID; found is false when there is none.
func (s *Store) Get(ctx context.Context, userID string) (a Account, found bool, err error) {
	a, err = scanAccount(s.db.QueryRowContext(ctx,
		`SELECT `+accountColumns+` FROM provisioner.linux_accounts WHERE user_id = $1`, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, false, nil
	}
	if err != nil {
		return Account{}, false, fmt.Errorf("get account %s: %w", userID, err)
	}
	return a, true, nil
}

// List returns the accounts of userIDs, or every account when userIDs is
// nil, ordered by username. Unknown ids are left out.
func (s *Store) List(ctx context.Context, userIDs []string) ([]Account, error) {
	q := `SELECT ` + accountColumns + ` FROM provisioner.linux_accounts`
	args := []any{}
	if userIDs != nil {
		q += ` WHERE user_id = ANY($1)`
		args = append(args, pq.Array(userIDs))
	}
	return s.query(ctx, q+` ORDER BY username, user_id`, args...)
}

func (s *Store) query(ctx context.Context, q string, args ...any) ([]Account, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer rows.Close()
	out := []Account{}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Begin records an attempt at op for the user: the row becomes pending and
// its attempts count up, from 1 for a new event (eventID differs from the
// last one), by one for another attempt at the same event.
func (s *Store) Begin(ctx context.Context, userID, username string, op msg.ProvisionOperation, eventID string) (Account, error) {
	a, err := scanAccount(s.db.QueryRowContext(ctx, `
		INSERT INTO provisioner.linux_accounts AS a (user_id, username, operation, state, attempts, last_event_id)
		VALUES ($1, $2, $3, 'pending', 1, $4)
		ON CONFLICT (user_id) DO UPDATE SET
			username = EXCLUDED.username,
			operation = EXCLUDED.operation,
			state = 'pending',
			attempts = CASE WHEN a.last_event_id = EXCLUDED.last_event_id THEN a.attempts + 1 ELSE 1 END,
			last_event_id = EXCLUDED.last_event_id,
			updated_at = now()
		RETURNING `+accountColumns, userID, username, op, eventID))
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" && pqErr.Constraint == "linux_accounts_username_live" {
		return Account{}, fmt.Errorf("%w: %s", ErrUsernameHeld, username)
	}
	if err != nil {
		return Account{}, fmt.Errorf("begin %s for %s: %w", op, userID, err)
	}
	return a, nil
}

// Finish records where an attempt ended: the state and, for pending (a
// retry will follow), failed and disabled, the reason.
func (s *Store) Finish(ctx context.Context, userID string, state msg.ProvisionState, reason string) (Account, error) {
	a, err := scanAccount(s.db.QueryRowContext(ctx, `
		UPDATE provisioner.linux_accounts SET state = $2, reason = $3, updated_at = now()
		WHERE user_id = $1
		RETURNING `+accountColumns, userID, state, reason))
	if err != nil {
		return Account{}, fmt.Errorf("finish %s as %s: %w", userID, state, err)
	}
	return a, nil
}

// Record writes a row in state directly, without an attempt (provisioning
// disabled, a name refused before anything ran).
func (s *Store) Record(ctx context.Context, userID, username string, op msg.ProvisionOperation, eventID string,
	state msg.ProvisionState, reason string) (Account, error) {
	if _, err := s.Begin(ctx, userID, username, op, eventID); err != nil {
		return Account{}, err
	}
	return s.Finish(ctx, userID, state, reason)
}

// NeedingWork returns the accounts no event is driving any more: those
// recorded while provisioning was disabled, and those left pending for
// longer than staleAfter (an admin's retry or an attempt cut short by a
// crash).
func (s *Store) NeedingWork(ctx context.Context, staleAfter time.Duration) ([]Account, error) {
	return s.query(ctx, `SELECT `+accountColumns+` FROM provisioner.linux_accounts
		WHERE state = 'disabled' OR (state = 'pending' AND updated_at < now() - make_interval(secs => $1))
		ORDER BY updated_at`, staleAfter.Seconds())
}
