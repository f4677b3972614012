// Package audit is the auth service's side of the audit log: a durable
// JetStream consumer stores every evt.audit.> record the gateway publishes
// (consumer.go), and cmd.auth.audit.list serves them to admins (this
// service, with endpoint.go and transport_nats.go).
package audit

import (
	"context"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
)

// Service lists the audit log.
type Service interface {
	List(ctx context.Context, req msg.AuditListRequest) (msg.AuditList, error)
}

// Page sizes.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Sentinel errors.
var (
	ErrNotAdmin = apierr.New(apierr.CodeForbidden, "only an admin may read the audit log")
	ErrBadPage  = apierr.Invalid("limit must be 0 to %d and before must not be negative", MaxLimit)
)

// AdminCheck confirms a caller is an enabled admin in the users table.
type AdminCheck func(ctx context.Context, c identity.Caller) error

type service struct {
	store   *Store
	isAdmin AdminCheck
}

// New returns the service; isAdmin re-checks the caller's role.
func New(store *Store, isAdmin AdminCheck) Service { return &service{store: store, isAdmin: isAdmin} }

func (s *service) List(ctx context.Context, req msg.AuditListRequest) (msg.AuditList, error) {
	c, ok := identity.From(ctx)
	if !ok || !c.IsAdmin() {
		return msg.AuditList{}, ErrNotAdmin
	}
	if err := s.isAdmin(ctx, c); err != nil {
		return msg.AuditList{}, err
	}
	if req.Limit < 0 || req.Limit > MaxLimit || req.Before < 0 {
		return msg.AuditList{}, ErrBadPage
	}
	if req.Limit == 0 {
		req.Limit = DefaultLimit
	}
	rs, err := s.store.List(ctx, req.Limit, req.Before)
	if err != nil {
		return msg.AuditList{}, apierr.New(apierr.CodeUnavailable, "audit log unavailable: %v", err)
	}
	out := msg.AuditList{Records: rs}
	if len(rs) == req.Limit {
		out.Next = rs[len(rs)-1].Seq
	}
	return out, nil
}
