// Package account is the auth service: it resolves Kratos sessions to
// platform users (id, username, role) kept in Postgres, and announces new
// users on JetStream (evt.user.created). go-kit layering: this file is the
// service; endpoint.go, transport_nats.go and middleware.go wrap it.
package account

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Service authenticates callers.
type Service interface {
	CheckSession(ctx context.Context, req msg.SessionCheck) (msg.Session, error)
}

// Sentinel errors.
var (
	ErrDisabled = apierr.New(apierr.CodeForbidden, "this account is disabled; ask an administrator")
)

// Options configure the service.
type Options struct {
	// Bootstrap names the first admin (by identity id or verified e-mail).
	Bootstrap Bootstrap
	// CacheTTL bounds how long a resolved session is reused (0 disables).
	CacheTTL time.Duration
	// CacheSize bounds the number of cached sessions.
	CacheSize int
	// Cache, when set, is used instead of a new one: the admin service and
	// the cross-instance invalidation share it to forget users.
	Cache *SessionCache
}

type service struct {
	sessions Sessions
	store    *Store
	js       jetstream.JetStream
	cache    *SessionCache
	opts     Options
	log      *slog.Logger
	now      func() time.Time
}

// New returns the auth service.
func New(sessions Sessions, store *Store, js jetstream.JetStream, opts Options, log *slog.Logger) Service {
	cache := opts.Cache
	if cache == nil {
		cache = NewSessionCache(opts.CacheTTL, opts.CacheSize)
	}
	return &service{sessions: sessions, store: store, js: js, cache: cache, opts: opts, log: log, now: time.Now}
}

func (s *service) CheckSession(ctx context.Context, req msg.SessionCheck) (msg.Session, error) {
	if req.Cookie == "" && req.Token == "" {
		return msg.Session{}, ErrNoSession
	}
	key := cacheKey(req)
	if sess, ok := s.cache.get(key, s.now()); ok {
		return sess, nil
	}
	epoch := s.cache.Epoch()
	ki, err := s.sessions.Whoami(ctx, req.Cookie, req.Token)
	if err != nil {
		return msg.Session{}, err
	}
	if err := names.ValidateUsername(ki.Username); err != nil {
		return msg.Session{}, apierr.New(apierr.CodeForbidden, "username cannot be used on this platform: %v", err)
	}
	boot := s.opts.Bootstrap.Grants(ki)
	u, err := s.store.Ensure(ctx, ki.ID, ki.Username, ki.Email, boot)
	if errors.Is(err, ErrUserGone) {
		// Deleted while this session was still valid in Kratos.
		return msg.Session{}, ErrNoSession
	}
	if err != nil {
		return msg.Session{}, apierr.New(apierr.CodeUnavailable, "user store unavailable")
	}
	if u.Disabled {
		return msg.Session{}, ErrDisabled
	}
	if !u.CreatedEventSent {
		s.announce(ctx, u)
	}
	sess := msg.Session{Caller: identity.Caller{UserID: u.ID, Username: u.Username, Role: u.Role}, Email: u.Email}
	s.cache.put(key, sess, s.now(), ki.ExpiresAt, epoch)
	return sess, nil
}

// announce publishes evt.user.created; the event id is derived from the
// user, so a repeat after a crash is de-duplicated by JetStream and ignored
// by idempotent consumers. A failure is retried on the next request.
func (s *service) announce(ctx context.Context, u User) {
	if err := AnnounceCreated(ctx, s.js, s.store, u); err != nil {
		s.log.WarnContext(ctx, "evt.user.created not published yet; will retry", "user", u.Username, "err", err)
	}
}

// AnnounceCreated publishes evt.user.created for u and records it as sent.
// The event id is derived from the user, so publishing twice is harmless.
func AnnounceCreated(ctx context.Context, js jetstream.JetStream, store *Store, u User) error {
	ev := msg.UserEvent{EventID: "user-created:" + u.ID, UserID: u.ID, Username: u.Username, Email: u.Email}
	if err := bus.PublishEvent(ctx, js, subjects.UserCreated, ev.EventID, ev); err != nil {
		return err
	}
	return store.MarkCreatedSent(ctx, u.ID)
}
