package terminal

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

// Logging logs every open with its caller, container, outcome and duration.
func Logging(log *slog.Logger) Middleware {
	return func(next Service) Service { return logging{next: next, log: log} }
}

type logging struct {
	next Service
	log  *slog.Logger
}

func (l logging) Open(ctx context.Context, req msg.TerminalOpen) (v msg.TerminalSession, err error) {
	defer func(start time.Time) {
		c, _ := identity.From(ctx)
		trace.SpanFromContext(ctx).SetAttributes(attribute.String("container.name", req.Name), attribute.String("terminal.session", req.Session))
		attrs := []any{"method", "terminal.open", "user", c.Username, "container", req.Name, "session", req.Session, "took", time.Since(start)}
		if err == nil {
			l.log.InfoContext(ctx, "terminal call", attrs...)
			return
		}
		e := apierr.From(err)
		level := slog.LevelInfo // a refusal is normal operation
		if e.Code == apierr.CodeInternal || e.Code == apierr.CodeUnavailable {
			level = slog.LevelError
		}
		l.log.Log(ctx, level, "terminal call failed", append(attrs, "code", e.Code, "err", e.Message)...)
	}(time.Now())
	return l.next.Open(ctx, req)
}
