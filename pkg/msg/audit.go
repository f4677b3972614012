package msg

import (
	"time"

	"github.com/dockeronline/platform/pkg/identity"
)

// AuditRecord is one state-changing action: the payload of
// evt.audit.<action>, published by the gateway after the action, stored by
// the auth service (idempotently, by ID) and listed to admins.
type AuditRecord struct {
	// ID is unique per action and doubles as the JetStream message id.
	ID string `json:"id"`
	// Seq orders stored records (newest first in a list); 0 on the wire
	// before the record is stored.
	Seq  int64     `json:"seq,omitempty"`
	Time time.Time `json:"time"`
	// Who.
	UserID   string        `json:"user_id"`
	Username string        `json:"username"`
	Role     identity.Role `json:"role"`
	// What: Action is the route pattern ("POST /api/v1/containers/{name}/stop"),
	// Target what it acted on ("name=web owner=…"), Path the request path.
	Action string `json:"action"`
	Target string `json:"target,omitempty"`
	Path   string `json:"path"`
	// Result: the HTTP status, and the platform error code when it failed.
	Status    int    `json:"status"`
	ErrorCode string `json:"error_code,omitempty"`
	// TraceID links the record to the request's trace.
	TraceID  string `json:"trace_id,omitempty"`
	RemoteIP string `json:"remote_ip,omitempty"`
}

// AuditListRequest is the request of cmd.auth.audit.list (admins only):
// at most Limit records (default 100, at most 1000) older than Before (a
// Seq; 0 = from the newest).
type AuditListRequest struct {
	Limit  int   `json:"limit,omitempty"`
	Before int64 `json:"before,omitempty"`
}

// AuditList is the reply of cmd.auth.audit.list, newest first. Next is the
// Before of the following page, 0 when there is none.
type AuditList struct {
	Records []AuditRecord `json:"records"`
	Next    int64         `json:"next,omitempty"`
}
