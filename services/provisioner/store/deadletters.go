package store

import (
	"context"
	"fmt"

	"github.com/dockeronline/platform/pkg/msg"
)

// DeadLetter is an event the provisioner stopped retrying.
type DeadLetter struct {
	Subject    string
	EventID    string
	UserID     string
	Username   string
	Reason     string
	Deliveries int
	StreamSeq  uint64
	Payload    []byte
}

// AddDeadLetter records d; recording the same stream message again is a
// no-op.
func (s *Store) AddDeadLetter(ctx context.Context, d DeadLetter) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO provisioner.dead_letters (subject, event_id, user_id, username, reason, deliveries, stream_seq, payload)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (subject, stream_seq) WHERE stream_seq > 0 DO NOTHING`,
		d.Subject, d.EventID, d.UserID, d.Username, d.Reason, d.Deliveries, int64(d.StreamSeq), d.Payload)
	if err != nil {
		return fmt.Errorf("add dead letter: %w", err)
	}
	return nil
}

// DeadLetters returns the limit most recent dead letters, newest first.
func (s *Store) DeadLetters(ctx context.Context, limit int) ([]msg.ProvisionDeadLetter, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT id, subject, event_id, user_id, username, reason, deliveries, created_at
		FROM provisioner.dead_letters ORDER BY created_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	defer rows.Close()
	out := []msg.ProvisionDeadLetter{}
	for rows.Next() {
		var d msg.ProvisionDeadLetter
		if err := rows.Scan(&d.ID, &d.Subject, &d.EventID, &d.UserID, &d.Username, &d.Reason, &d.Deliveries, &d.CreatedAt); err != nil {
			return nil, fmt.Errorf("list dead letters: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
