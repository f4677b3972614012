package store

import (
	"context"
	"fmt"
)

// userLockClass is the first key of the per-user advisory locks ("prvu").
const userLockClass = 0x70727675

// LockUser takes an exclusive lock on userID's account, waiting for it (or
// for ctx), and returns the function that releases it. Everything that
// changes an account — an event, an admin's retry, in this or another
// instance — holds it, so two operations on one user never interleave.
//
// The lock is a session advisory lock on a connection of its own, held
// for the operation: a crashed instance's locks go with its connections.
func (s *Store) LockUser(ctx context.Context, userID string) (unlock func(), err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", userID, err)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1, hashtext($2))`, userLockClass, userID); err != nil {
		conn.Close()
		return nil, fmt.Errorf("lock %s: %w", userID, err)
	}
	return func() {
		// A fresh context: the caller's may be done, the lock must go.
		_, _ = conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1, hashtext($2))`, userLockClass, userID)
		conn.Close()
	}, nil
}
