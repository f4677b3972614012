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

// Logging logs each administrative change with the admin and the outcome.
func Logging(log *slog.Logger) Middleware {
	return func(next Service) Service { return logging{Service: next, log: log} }
}

// logging logs the changes; reads pass through the embedded Service.
type logging struct {
	Service
	log *slog.Logger
}

func (l logging) done(ctx context.Context, action, target string, start time.Time, err error) {
	c, _ := identity.From(ctx)
	attrs := []any{"action", action, "admin", c.Username, "target", target, "took", time.Since(start)}
	if err != nil {
		e := apierr.From(err)
		attrs = append(attrs, "code", e.Code, "err", e.Message)
	}
	l.log.InfoContext(ctx, "admin call", attrs...)
}

func (l logging) CreateUser(ctx context.Context, req msg.UserCreateRequest) (u msg.User, err error) {
	defer func(t time.Time) { l.done(ctx, "user.create", req.Username, t, err) }(time.Now())
	return l.Service.CreateUser(ctx, req)
}

func (l logging) DeleteUser(ctx context.Context, ref msg.UserRef) (d Deleted, err error) {
	defer func(t time.Time) { l.done(ctx, "user.delete", ref.UserID, t, err) }(time.Now())
	return l.Service.DeleteUser(ctx, ref)
}

func (l logging) DisableUser(ctx context.Context, ref msg.UserRef) (d Disabled, err error) {
	defer func(t time.Time) { l.done(ctx, "user.disable", ref.UserID, t, err) }(time.Now())
	return l.Service.DisableUser(ctx, ref)
}

func (l logging) EnableUser(ctx context.Context, ref msg.UserRef) (u msg.User, err error) {
	defer func(t time.Time) { l.done(ctx, "user.enable", ref.UserID, t, err) }(time.Now())
	return l.Service.EnableUser(ctx, ref)
}

func (l logging) SetRole(ctx context.Context, req msg.UserRoleRequest) (u msg.User, err error) {
	defer func(t time.Time) { l.done(ctx, "user.role", req.UserID+"="+string(req.Role), t, err) }(time.Now())
	return l.Service.SetRole(ctx, req)
}

func (l logging) SetQuota(ctx context.Context, req msg.QuotaSetRequest) (u msg.Usage, err error) {
	defer func(t time.Time) { l.done(ctx, "user.quota", req.UserID, t, err) }(time.Now())
	return l.Service.SetQuota(ctx, req)
}

func (l logging) RetryLinuxAccount(ctx context.Context, req msg.UserRef) (a msg.LinuxAccount, err error) {
	defer func(t time.Time) { l.done(ctx, "user.linux-account.retry", req.UserID, t, err) }(time.Now())
	return l.Service.RetryLinuxAccount(ctx, req)
}
