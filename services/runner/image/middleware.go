package image

import (
	"context"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
)

// Middleware decorates a Service.
type Middleware func(Service) Service

// Logging logs every call with its caller, image, duration and outcome,
// and tags the current span with the image and any refused rule.
func Logging(log *slog.Logger) Middleware {
	return func(next Service) Service { return logging{next: next, log: log} }
}

type logging struct {
	next Service
	log  *slog.Logger
}

func (l logging) done(ctx context.Context, method, image string, start time.Time, err error, extra ...any) {
	c, _ := identity.From(ctx)
	attrs := append([]any{"method", method, "user", c.Username, "image", image, "took", time.Since(start)}, extra...)
	span := trace.SpanFromContext(ctx)
	if image != "" {
		span.SetAttributes(attribute.String("image.ref", image))
	}
	if err == nil {
		l.log.InfoContext(ctx, "image call", attrs...)
		return
	}
	e := apierr.From(err)
	attrs = append(attrs, "code", e.Code, "err", e.Message)
	if e.Rule != "" {
		attrs = append(attrs, "rule", e.Rule)
		span.SetAttributes(attribute.String("policy.rule", e.Rule))
	}
	level := slog.LevelInfo // a refused request is normal operation
	if e.Code == apierr.CodeInternal || e.Code == apierr.CodeUnavailable {
		level = slog.LevelError
	}
	l.log.Log(ctx, level, "image call failed", attrs...)
}

func (l logging) List(ctx context.Context, req msg.ImageListRequest) (v msg.ImageList, err error) {
	defer func(t time.Time) { l.done(ctx, "list", "", t, err, "images", len(v.Images)) }(time.Now())
	return l.next.List(ctx, req)
}

func (l logging) Pull(ctx context.Context, req msg.ImagePullRequest) (v msg.JobStarted, err error) {
	defer func(t time.Time) { l.done(ctx, "pull", req.Image, t, err, "job", v.Job.ID) }(time.Now())
	return l.next.Pull(ctx, req)
}

func (l logging) Remove(ctx context.Context, ref msg.ImageRef) (v msg.ImageRemoveResult, err error) {
	defer func(t time.Time) { l.done(ctx, "remove", ref.Ref, t, err, "deleted", v.Deleted) }(time.Now())
	return l.next.Remove(ctx, ref)
}
