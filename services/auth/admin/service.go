// Package admin is the auth service's user administration (cmd.auth.user.*,
// admins only): list, add, disable, enable, change the role of and delete
// platform users, keeping Kratos, the users table and the session cache in
// step. go-kit layering: this file is the service; endpoint.go,
// transport_nats.go and middleware.go wrap it.
//
// The gateway orchestrates what spans services (it alone may send cmd.>):
// a delete is disable here, purge in the runner, then delete here. Every
// step here is idempotent, so a failed cascade is finished by retrying it.
package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"regexp"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/auth/account"
)

// Service administers platform users.
type Service interface {
	List(ctx context.Context, req msg.Empty) (msg.UserList, error)
	Create(ctx context.Context, req msg.UserCreateRequest) (msg.User, error)
	Disable(ctx context.Context, ref msg.UserRef) (msg.User, error)
	Enable(ctx context.Context, ref msg.UserRef) (msg.User, error)
	SetRole(ctx context.Context, req msg.UserRoleRequest) (msg.User, error)
	Delete(ctx context.Context, ref msg.UserRef) (msg.UserDeleteResult, error)
}

// Sentinel errors.
var (
	ErrNotAdmin     = apierr.New(apierr.CodeForbidden, "only an admin may manage users")
	ErrNoCaller     = apierr.New(apierr.CodeUnauthenticated, "no authenticated caller on the command")
	ErrUnknownUser  = apierr.NotFound("no such user")
	ErrBadUserID    = apierr.Invalid("user_id must be 1 to 64 letters, digits or '-'")
	ErrSelf         = apierr.Policy("not-yourself", "you cannot disable, demote or delete your own account; ask another admin")
	ErrBootstrap    = apierr.Policy("bootstrap-admin", "this is the bootstrap admin named by BOOTSTRAP_ADMIN or BOOTSTRAP_ADMIN_ID: it cannot be disabled, demoted or deleted; change the configuration first")
	ErrLastAdmin    = apierr.Policy("last-admin", "this is the last enabled admin: promote another user first")
	ErrBadRole      = apierr.Invalid("role must be \"user\" or \"admin\"")
	ErrBadEmail     = apierr.Invalid("email must be a valid e-mail address")
	ErrWeakPassword = apierr.Invalid("password must be %d to %d characters", MinPassword, MaxPassword)
	ErrTaken        = apierr.Conflict("the username or e-mail is already used by another account")
)

// Password bounds; the minimum matches Kratos' min_password_length and the
// maximum bcrypt's 72 bytes.
const (
	MinPassword = 8
	MaxPassword = 72
)

var userIDPattern = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// Options configure the service.
type Options struct {
	// Bootstrap names the configured first admin.
	Bootstrap account.Bootstrap
}

type service struct {
	store *account.Store
	kr    Identities
	js    jetstream.JetStream
	cache *account.SessionCache
	opts  Options
	log   *slog.Logger
}

// New returns the admin service.
func New(store *account.Store, kr Identities, js jetstream.JetStream, cache *account.SessionCache, opts Options, log *slog.Logger) Service {
	return &service{store: store, kr: kr, js: js, cache: cache, opts: opts, log: log}
}

// requireAdmin checks the caller named in the command's headers, and again
// in the table: a demoted or disabled admin whose session is still cached
// at the gateway is refused here at once.
func (s *service) requireAdmin(ctx context.Context) (identity.Caller, error) {
	c, ok := identity.From(ctx)
	if !ok {
		return c, ErrNoCaller
	}
	if !c.IsAdmin() {
		return c, ErrNotAdmin
	}
	u, found, err := s.store.Get(ctx, c.UserID)
	if err != nil {
		return c, storeErr(err)
	}
	if !found || u.Role != identity.RoleAdmin || u.Disabled {
		return c, ErrNotAdmin
	}
	return c, nil
}

func storeErr(err error) error {
	return apierr.New(apierr.CodeUnavailable, "user store unavailable: %v", err)
}

func (s *service) view(u account.User) msg.User {
	return msg.User{
		ID: u.ID, Username: u.Username, Email: u.Email, Role: u.Role, Disabled: u.Disabled,
		CreatedAt: u.CreatedAt, LastLogin: u.LastLogin,
		Bootstrap: s.opts.Bootstrap.Protects(u),
	}
}

func (s *service) List(ctx context.Context, _ msg.Empty) (msg.UserList, error) {
	if _, err := s.requireAdmin(ctx); err != nil {
		return msg.UserList{}, err
	}
	us, err := s.store.List(ctx)
	if err != nil {
		return msg.UserList{}, storeErr(err)
	}
	out := msg.UserList{Users: make([]msg.User, 0, len(us))}
	for _, u := range us {
		out.Users = append(out.Users, s.view(u))
	}
	return out, nil
}

func validateCreate(req msg.UserCreateRequest) error {
	if err := names.ValidateUsername(req.Username); err != nil {
		var ne *names.Error
		if errors.As(err, &ne) {
			e := apierr.Invalid("%s", ne.Message)
			e.Rule = ne.Rule
			return e
		}
		return apierr.Invalid("%v", err)
	}
	if a, err := mail.ParseAddress(req.Email); err != nil || a.Address != req.Email || len(req.Email) > 320 {
		return ErrBadEmail
	}
	if n := len(req.Password); n < MinPassword || n > MaxPassword {
		return ErrWeakPassword
	}
	if req.Role != "" && req.Role != identity.RoleUser && req.Role != identity.RoleAdmin {
		return ErrBadRole
	}
	return nil
}

// Create adds a user in Kratos and in the table and announces it. A retry
// of a create that got as far as Kratos finds the identity it made (same
// username and e-mail) and finishes the job instead of failing.
func (s *service) Create(ctx context.Context, req msg.UserCreateRequest) (msg.User, error) {
	if _, err := s.requireAdmin(ctx); err != nil {
		return msg.User{}, err
	}
	req.Email = strings.TrimSpace(req.Email)
	if err := validateCreate(req); err != nil {
		return msg.User{}, err
	}
	role := req.Role
	if role == "" {
		role = identity.RoleUser
	}
	if u, found, err := s.store.GetByUsername(ctx, req.Username); err != nil {
		return msg.User{}, storeErr(err)
	} else if found && u.Email != req.Email {
		return msg.User{}, ErrTaken
	}
	ki, err := s.kr.Create(ctx, req.Username, req.Email, req.Password)
	if errors.Is(err, ErrIdentityExists) {
		var found bool
		ki, found, err = s.kr.FindByIdentifier(ctx, req.Username)
		if err == nil && (!found || ki.Username != req.Username || ki.Email != req.Email) {
			return msg.User{}, ErrTaken
		}
	}
	if err != nil {
		return msg.User{}, err
	}
	u, err := s.store.Insert(ctx, ki.ID, ki.Username, ki.Email, role)
	if errors.Is(err, account.ErrUserGone) {
		return msg.User{}, ErrTaken
	}
	if err != nil {
		return msg.User{}, storeErr(err)
	}
	if !u.CreatedEventSent {
		if err := account.AnnounceCreated(ctx, s.js, s.store, u); err != nil {
			return msg.User{}, apierr.New(apierr.CodeUnavailable, "user %s was created but evt.user.created is not published yet: retry the request (%v)", u.Username, err)
		}
		u.CreatedEventSent = true
	}
	return s.view(u), nil
}

// target resolves the user a command is about. A user Kratos has but the
// table has not seen yet (registered, never signed in to the API) is
// adopted into the table, so every Kratos user can be administered.
func (s *service) target(ctx context.Context, id string) (account.User, error) {
	if !userIDPattern.MatchString(id) {
		return account.User{}, ErrBadUserID
	}
	u, found, err := s.store.Get(ctx, id)
	if err != nil {
		return u, storeErr(err)
	}
	if found {
		return u, nil
	}
	if _, gone, err := s.store.Deleted(ctx, id); err != nil {
		return u, storeErr(err)
	} else if gone {
		return u, ErrUnknownUser
	}
	ki, ok, err := s.kr.Get(ctx, id)
	if err != nil {
		return u, err
	}
	if !ok || names.ValidateUsername(ki.Username) != nil {
		return u, ErrUnknownUser
	}
	u, err = s.store.Insert(ctx, ki.ID, ki.Username, ki.Email, identity.RoleUser)
	if err != nil {
		return u, storeErr(err)
	}
	if err := account.AnnounceCreated(ctx, s.js, s.store, u); err != nil {
		s.log.WarnContext(ctx, "evt.user.created for an adopted user not published yet", "user", u.Username, "err", err)
	}
	return u, nil
}

// guard refuses what would lock the platform out: acting on yourself, on
// the bootstrap admin, or removing the last enabled admin.
func (s *service) guard(ctx context.Context, c identity.Caller, u account.User) error {
	if u.ID == c.UserID {
		return ErrSelf
	}
	if s.opts.Bootstrap.Protects(u) {
		return ErrBootstrap
	}
	if u.Role == identity.RoleAdmin && !u.Disabled {
		n, err := s.store.OtherEnabledAdmins(ctx, u.ID)
		if err != nil {
			return storeErr(err)
		}
		if n == 0 {
			return ErrLastAdmin
		}
	}
	return nil
}

// Disable refuses the user's sessions from the next request on: the table
// first (CheckSession reads it), then Kratos (identity inactive, sessions
// revoked), then every auth instance's cache (evt.user.disabled). Stopping
// the containers is the runner's (cmd.runner.user.pause, sent by the
// gateway).
func (s *service) Disable(ctx context.Context, ref msg.UserRef) (msg.User, error) {
	c, err := s.requireAdmin(ctx)
	if err != nil {
		return msg.User{}, err
	}
	u, err := s.target(ctx, ref.UserID)
	if err != nil {
		return msg.User{}, err
	}
	if err := s.guard(ctx, c, u); err != nil {
		return msg.User{}, err
	}
	if err := s.disable(ctx, u); err != nil {
		return msg.User{}, err
	}
	u.Disabled = true
	return s.view(u), nil
}

func (s *service) disable(ctx context.Context, u account.User) error {
	u, err := s.store.SetDisabled(ctx, u.ID, true)
	if err != nil {
		return storeErr(err)
	}
	s.cache.ForgetUser(u.ID)
	if err := s.kr.SetActive(ctx, u.ID, false); err != nil {
		return err
	}
	if err := s.kr.RevokeSessions(ctx, u.ID); err != nil {
		return err
	}
	s.cache.ForgetUser(u.ID)
	return s.publish(ctx, subjects.UserDisabled, fmt.Sprintf("user-disabled:%s:%d", u.ID, u.StateVersion), u)
}

func (s *service) publish(ctx context.Context, subject, id string, u account.User) error {
	ev := msg.UserEvent{EventID: id, UserID: u.ID, Username: u.Username, Email: u.Email}
	if err := bus.PublishEvent(ctx, s.js, subject, id, ev); err != nil {
		return apierr.New(apierr.CodeUnavailable, "%s not published: retry the request (%v)", subject, err)
	}
	return nil
}

// Enable lets the user sign in again. Their containers stay stopped: they
// start them again themselves.
func (s *service) Enable(ctx context.Context, ref msg.UserRef) (msg.User, error) {
	if _, err := s.requireAdmin(ctx); err != nil {
		return msg.User{}, err
	}
	u, err := s.target(ctx, ref.UserID)
	if err != nil {
		return msg.User{}, err
	}
	if err := s.kr.SetActive(ctx, u.ID, true); err != nil {
		return msg.User{}, err
	}
	if u, err = s.store.SetDisabled(ctx, u.ID, false); err != nil {
		return msg.User{}, storeErr(err)
	}
	s.cache.ForgetUser(u.ID)
	if err := s.publish(ctx, subjects.UserEnabled, fmt.Sprintf("user-enabled:%s:%d", u.ID, u.StateVersion), u); err != nil {
		return msg.User{}, err
	}
	return s.view(u), nil
}

// SetRole promotes or demotes. The caller's cached sessions elsewhere
// follow within the cache TTL; this instance forgets them at once.
func (s *service) SetRole(ctx context.Context, req msg.UserRoleRequest) (msg.User, error) {
	c, err := s.requireAdmin(ctx)
	if err != nil {
		return msg.User{}, err
	}
	if req.Role != identity.RoleUser && req.Role != identity.RoleAdmin {
		return msg.User{}, ErrBadRole
	}
	u, err := s.target(ctx, req.UserID)
	if err != nil {
		return msg.User{}, err
	}
	if u.Role == req.Role {
		return s.view(u), nil
	}
	if req.Role == identity.RoleUser {
		if err := s.guard(ctx, c, u); err != nil {
			return msg.User{}, err
		}
	}
	u, err = s.store.SetRole(ctx, u.ID, req.Role)
	if errors.Is(err, account.ErrLastAdmin) {
		return msg.User{}, ErrLastAdmin
	}
	if err != nil {
		return msg.User{}, storeErr(err)
	}
	s.cache.ForgetUser(u.ID)
	return s.view(u), nil
}

// Delete finishes a user's deletion: disabled (in case the gateway's first
// step was skipped), Kratos identity gone, evt.user.deleted published (its
// id is derived from the user: a retry is de-duplicated), then the row is
// replaced by a tombstone. Deleting a deleted user succeeds (AlreadyGone).
func (s *service) Delete(ctx context.Context, ref msg.UserRef) (msg.UserDeleteResult, error) {
	c, err := s.requireAdmin(ctx)
	if err != nil {
		return msg.UserDeleteResult{}, err
	}
	if !userIDPattern.MatchString(ref.UserID) {
		return msg.UserDeleteResult{}, ErrBadUserID
	}
	if name, gone, err := s.store.Deleted(ctx, ref.UserID); err != nil {
		return msg.UserDeleteResult{}, storeErr(err)
	} else if gone {
		return msg.UserDeleteResult{UserID: ref.UserID, Username: name, AlreadyGone: true}, nil
	}
	u, err := s.target(ctx, ref.UserID)
	if err != nil {
		return msg.UserDeleteResult{}, err
	}
	if err := s.guard(ctx, c, u); err != nil {
		return msg.UserDeleteResult{}, err
	}
	if !u.Disabled {
		if err := s.disable(ctx, u); err != nil {
			return msg.UserDeleteResult{}, err
		}
	}
	if err := s.kr.RevokeSessions(ctx, u.ID); err != nil {
		return msg.UserDeleteResult{}, err
	}
	if err := s.kr.Delete(ctx, u.ID); err != nil {
		return msg.UserDeleteResult{}, err
	}
	if err := s.publish(ctx, subjects.UserDeleted, "user-deleted:"+u.ID, u); err != nil {
		return msg.UserDeleteResult{}, err
	}
	if err := s.store.Delete(ctx, u.ID, u.Username); err != nil {
		return msg.UserDeleteResult{}, storeErr(err)
	}
	s.cache.ForgetUser(u.ID)
	return msg.UserDeleteResult{UserID: u.ID, Username: u.Username}, nil
}
