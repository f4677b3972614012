package provision

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
)

// Service answers the provisioner's commands.
type Service interface {
	// Status returns Linux account states: a user's own, or anyone's for an
	// admin (All: every account, and the recent dead letters).
	Status(ctx context.Context, req msg.ProvisionStatusRequest) (msg.ProvisionStatus, error)
	// Retry runs a user's last operation again now (admins only) and
	// returns where the first attempt left the account; if it must wait
	// for the host or retry, that goes on in the background.
	Retry(ctx context.Context, req msg.ProvisionRetryRequest) (msg.LinuxAccount, error)
}

// Errors the service answers with.
var (
	ErrUnauthenticated = apierr.New(apierr.CodeUnauthenticated, "no authenticated caller")
	ErrNotAdmin        = apierr.New(apierr.CodeForbidden, "only an admin may do this")
	ErrOnlyOwn         = apierr.New(apierr.CodeForbidden, "you may only see your own Linux account")
	ErrTooMany         = apierr.Invalid("ask for at most %d users at once", MaxStatusIDs)
	ErrNoUserID        = apierr.Invalid("user_id is required")
	ErrUnknownUser     = apierr.NotFound("the provisioner has no Linux account record for this user")
	ErrDisabled        = apierr.New(apierr.CodeUnavailable, "provisioning is disabled on this platform (PROVISION_ENABLED=false)")
)

// Limits of a status request and of the dead letters shown.
const (
	MaxStatusIDs    = 500
	DeadLetterLimit = 100
)

// Service returns the command service.
func (p *Provisioner) Service() Service { return &service{p: p} }

type service struct{ p *Provisioner }

func (s *service) Status(ctx context.Context, req msg.ProvisionStatusRequest) (msg.ProvisionStatus, error) {
	caller, ok := identity.From(ctx)
	if !ok {
		return msg.ProvisionStatus{}, ErrUnauthenticated
	}
	ids := req.UserIDs
	switch {
	case caller.IsAdmin() && req.All:
		ids = nil
	case req.All:
		return msg.ProvisionStatus{}, ErrNotAdmin
	case len(ids) > MaxStatusIDs:
		return msg.ProvisionStatus{}, ErrTooMany
	case len(ids) == 0:
		ids = []string{caller.UserID}
	case !caller.IsAdmin():
		for _, id := range ids {
			if id != caller.UserID {
				return msg.ProvisionStatus{}, ErrOnlyOwn
			}
		}
	}
	accounts, err := s.p.core.store.List(ctx, ids)
	if err != nil {
		return msg.ProvisionStatus{}, err
	}
	out := msg.ProvisionStatus{Accounts: make([]msg.LinuxAccount, 0, len(accounts))}
	for _, a := range accounts {
		out.Accounts = append(out.Accounts, a.Message())
	}
	if ids == nil {
		if out.DeadLetters, err = s.p.core.store.DeadLetters(ctx, DeadLetterLimit); err != nil {
			return msg.ProvisionStatus{}, err
		}
	}
	return out, nil
}

func (s *service) Retry(ctx context.Context, req msg.ProvisionRetryRequest) (msg.LinuxAccount, error) {
	caller, ok := identity.From(ctx)
	switch {
	case !ok:
		return msg.LinuxAccount{}, ErrUnauthenticated
	case !caller.IsAdmin():
		return msg.LinuxAccount{}, ErrNotAdmin
	case req.UserID == "":
		return msg.LinuxAccount{}, ErrNoUserID
	case !s.p.opts.Enabled:
		return msg.LinuxAccount{}, ErrDisabled
	}
	cur, found, err := s.p.core.store.Get(ctx, req.UserID)
	if err != nil {
		return msg.LinuxAccount{}, err
	}
	if !found {
		return msg.LinuxAccount{}, ErrUnknownUser
	}
	// A retry is a new cause: its own id, so its outcome is announced even
	// if the event's was, and its attempts count from one.
	j := job{UserID: cur.UserID, Username: cur.Username, Op: cur.Operation, EventID: "retry-" + randomID()}
	s.p.core.log.InfoContext(ctx, "admin retry", "admin", caller.Username, "user_id", j.UserID, "op", j.Op, "retry_id", j.EventID)
	r, err := s.p.core.apply(ctx, j)
	if err != nil {
		return msg.LinuxAccount{}, err
	}
	if r.outcome == outcomeRetry || r.outcome == outcomeHostDown {
		s.p.background.Add(1)
		go func() {
			defer s.p.background.Done()
			s.p.runInProcess(s.p.life, j)
		}()
	}
	return r.account.Message(), nil
}

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
