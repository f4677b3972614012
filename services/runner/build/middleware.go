package build

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

// Logging logs every build request with its caller, image, job and
// outcome, and tags the span with the image and any refused rule.
func Logging(log *slog.Logger) Middleware {
	return func(next Service) Service { return logging{next: next, log: log} }
}

type logging struct {
	next Service
	log  *slog.Logger
}

func (l logging) Start(ctx context.Context, req msg.BuildRequest) (v msg.JobStarted, err error) {
	defer func(start time.Time) {
		c, _ := identity.From(ctx)
		attrs := []any{"method", "build", "user", c.Username, "image", req.Name, "took", time.Since(start)}
		span := trace.SpanFromContext(ctx)
		span.SetAttributes(attribute.String("image.name", req.Name))
		if err == nil {
			l.log.InfoContext(ctx, "build started", append(attrs, "job", v.Job.ID)...)
			return
		}
		e := apierr.From(err)
		attrs = append(attrs, "code", e.Code, "err", e.Message)
		if e.Rule != "" {
			attrs = append(attrs, "rule", e.Rule)
			span.SetAttributes(attribute.String("policy.rule", e.Rule))
		}
		level := slog.LevelInfo // a refused build is normal operation
		if e.Code == apierr.CodeInternal || e.Code == apierr.CodeUnavailable {
			level = slog.LevelError
		}
		l.log.Log(ctx, level, "build refused", attrs...)
	}(time.Now())
	return l.next.Start(ctx, req)
}
