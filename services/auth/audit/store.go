package audit

import (
	"context"
	"database/sql"

	"github.com/dockeronline/platform/pkg/msg"
)

// Store keeps the audit log in auth.audit_log (created by the auth
// service's migrations, see account/migrations/003_audit.sql).
type Store struct{ db *sql.DB }

// NewStore returns the store; the schema must be migrated already.
func NewStore(db *sql.DB) *Store { return &Store{db: db} }

// Add stores r once: a record whose id is stored already is ignored, so a
// redelivered event is harmless.
func (s *Store) Add(ctx context.Context, r msg.AuditRecord) error {
	_, err := s.db.ExecContext(ctx, `
INSERT INTO auth.audit_log (id, at, user_id, username, role, action, target, path, status, error_code, trace_id, remote_ip)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (id) DO NOTHING`,
		r.ID, r.Time, r.UserID, r.Username, string(r.Role), r.Action, r.Target, r.Path, r.Status, r.ErrorCode, r.TraceID, r.RemoteIP)
	return err
}

// List returns at most limit records older than before (0: the newest).
func (s *Store) List(ctx context.Context, limit int, before int64) ([]msg.AuditRecord, error) {
	q := `SELECT seq, id, at, user_id, username, role, action, target, path, status, error_code, trace_id, remote_ip
FROM auth.audit_log WHERE ($1 = 0 OR seq < $1) ORDER BY seq DESC LIMIT $2`
	rows, err := s.db.QueryContext(ctx, q, before, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []msg.AuditRecord{}
	for rows.Next() {
		var r msg.AuditRecord
		if err := rows.Scan(&r.Seq, &r.ID, &r.Time, &r.UserID, &r.Username, &r.Role, &r.Action, &r.Target, &r.Path, &r.Status, &r.ErrorCode, &r.TraceID, &r.RemoteIP); err != nil {
			return nil, err
		}
		r.Time = r.Time.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}
