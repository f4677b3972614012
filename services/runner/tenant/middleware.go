package tenant

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

// Logging logs every purge and pause with the admin, the user and counts.
func Logging(log *slog.Logger) Middleware {
	return func(next Service) Service { return logging{next: next, log: log} }
}

type logging struct {
	next Service
	log  *slog.Logger
}

func (l logging) done(ctx context.Context, action, user string, start time.Time, result any, err error) {
	c, _ := identity.From(ctx)
	attrs := []any{"action", action, "admin", c.Username, "user_id", user, "result", result, "took", time.Since(start)}
	if err != nil {
		e := apierr.From(err)
		attrs = append(attrs, "code", e.Code, "err", e.Message)
		l.log.WarnContext(ctx, "tenant command failed", attrs...)
		return
	}
	l.log.InfoContext(ctx, "tenant command", attrs...)
}

func (l logging) Purge(ctx context.Context, ref msg.UserRef) (r msg.PurgeResult, err error) {
	defer func(t time.Time) { l.done(ctx, "user.purge", ref.UserID, t, r, err) }(time.Now())
	return l.next.Purge(ctx, ref)
}

func (l logging) Pause(ctx context.Context, ref msg.UserRef) (r msg.PauseResult, err error) {
	defer func(t time.Time) { l.done(ctx, "user.pause", ref.UserID, t, r, err) }(time.Now())
	return l.next.Pause(ctx, ref)
}
