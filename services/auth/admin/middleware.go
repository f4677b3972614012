package admin

import (
	"context"
	"log/slog"
	"time"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
)

// Middleware decorates a Service.
type Middleware func(Service) Service

// Logging logs every administrative change with who made it and the outcome.
func Logging(log *slog.Logger) Middleware {
	return func(next Service) Service { return logging{next: next, log: log} }
}

type logging struct {
	next Service
	log  *slog.Logger
}

func (l logging) done(ctx context.Context, action, target string, start time.Time, err error) {
	c, _ := identity.From(ctx)
	attrs := []any{"action", action, "admin", c.Username, "target", target, "took", time.Since(start)}
	level := slog.LevelInfo
	if err != nil {
		e := apierr.From(err)
		attrs = append(attrs, "code", e.Code, "err", e.Message)
		if e.Code == apierr.CodeUnavailable || e.Code == apierr.CodeInternal {
			level = slog.LevelError
		}
	}
	l.log.Log(ctx, level, "user admin", attrs...)
}

func (l logging) List(ctx context.Context, req msg.Empty) (msg.UserList, error) {
	return l.next.List(ctx, req)
}

func (l logging) Create(ctx context.Context, req msg.UserCreateRequest) (u msg.User, err error) {
	defer func(t time.Time) { l.done(ctx, "user.create", req.Username, t, err) }(time.Now())
	return l.next.Create(ctx, req)
}

func (l logging) Disable(ctx context.Context, ref msg.UserRef) (u msg.User, err error) {
	defer func(t time.Time) { l.done(ctx, "user.disable", ref.UserID, t, err) }(time.Now())
	return l.next.Disable(ctx, ref)
}

func (l logging) Enable(ctx context.Context, ref msg.UserRef) (u msg.User, err error) {
	defer func(t time.Time) { l.done(ctx, "user.enable", ref.UserID, t, err) }(time.Now())
	return l.next.Enable(ctx, ref)
}

func (l logging) SetRole(ctx context.Context, req msg.UserRoleRequest) (u msg.User, err error) {
	defer func(t time.Time) { l.done(ctx, "user.role."+string(req.Role), req.UserID, t, err) }(time.Now())
	return l.next.SetRole(ctx, req)
}

func (l logging) Delete(ctx context.Context, ref msg.UserRef) (r msg.UserDeleteResult, err error) {
	defer func(t time.Time) { l.done(ctx, "user.delete", ref.UserID, t, err) }(time.Now())
	return l.next.Delete(ctx, ref)
}
