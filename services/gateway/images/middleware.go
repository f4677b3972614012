package images

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

// Logging logs each state-changing call with its caller and outcome.
func Logging(log *slog.Logger) Middleware {
	return func(next Service) Service { return logging{next: next, log: log} }
}

type logging struct {
	next Service
	log  *slog.Logger
}

func (l logging) done(ctx context.Context, action, target string, start time.Time, err error, extra ...any) {
	c, _ := identity.From(ctx)
	attrs := append([]any{"action", action, "user", c.Username, "target", target, "took", time.Since(start)}, extra...)
	if err != nil {
		e := apierr.From(err)
		attrs = append(attrs, "code", e.Code, "err", e.Message)
		if e.Rule != "" {
			attrs = append(attrs, "rule", e.Rule)
		}
	}
	l.log.InfoContext(ctx, "api call", attrs...)
}

func (l logging) List(ctx context.Context, req msg.ImageListRequest) (msg.ImageList, error) {
	return l.next.List(ctx, req)
}

func (l logging) Pull(ctx context.Context, req msg.ImagePullRequest) (v msg.JobStarted, err error) {
	defer func(t time.Time) { l.done(ctx, "image.pull", req.Image, t, err, "job", v.Job.ID) }(time.Now())
	return l.next.Pull(ctx, req)
}

func (l logging) Remove(ctx context.Context, ref msg.ImageRef) (v msg.ImageRemoveResult, err error) {
	defer func(t time.Time) { l.done(ctx, "image.remove", ref.Ref, t, err, "deleted", v.Deleted) }(time.Now())
	return l.next.Remove(ctx, ref)
}
