package logs

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

// Logging logs every request with its caller, container, outcome and duration.
func Logging(log *slog.Logger) Middleware {
	return func(next Service) Service { return logging{next: next, log: log} }
}

type logging struct {
	next Service
	log  *slog.Logger
}

func (l logging) Logs(ctx context.Context, req msg.LogsRequest) (v msg.LogsStarted, err error) {
	defer func(start time.Time) {
		c, _ := identity.From(ctx)
		trace.SpanFromContext(ctx).SetAttributes(attribute.String("container.name", req.Name), attribute.String("logs.stream", req.Stream))
		attrs := []any{"method", "container.logs", "user", c.Username, "container", req.Name, "stream", req.Stream, "follow", req.Follow, "took", time.Since(start)}
		if err == nil {
			l.log.InfoContext(ctx, "logs call", attrs...)
			return
		}
		e := apierr.From(err)
		level := slog.LevelInfo // a refusal is normal operation
		if e.Code == apierr.CodeInternal || e.Code == apierr.CodeUnavailable {
			level = slog.LevelError
		}
		l.log.Log(ctx, level, "logs call failed", append(attrs, "code", e.Code, "err", e.Message)...)
	}(time.Now())
	return l.next.Logs(ctx, req)
}
