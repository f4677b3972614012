package access

import (
	"context"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
)

// Call is one finished service call, as every runner logging middleware
// reports it.
type Call struct {
	Kind   string // "container", "image", "stack", "build", "logs", "terminal"
	Method string
	Target string // the object's name or reference ("" when none)
	Start  time.Time
	Err    error
	Extra  []any // more slog attributes
}

// LogCall logs c with its caller, target, duration and outcome, and tags
// the current span with the target and any refused rule. A refusal is
// normal operation (info); only internal and unavailable errors are errors.
func LogCall(ctx context.Context, log *slog.Logger, c Call) {
	caller, _ := identity.From(ctx)
	attrs := append([]any{"method", c.Method, "user", caller.Username, c.Kind, c.Target, "took", time.Since(c.Start)}, c.Extra...)
	span := trace.SpanFromContext(ctx)
	if c.Target != "" {
		span.SetAttributes(attribute.String(c.Kind+".name", c.Target))
	}
	if c.Err == nil {
		log.InfoContext(ctx, c.Kind+" call", attrs...)
		return
	}
	e := apierr.From(c.Err)
	attrs = append(attrs, "code", e.Code, "err", e.Message)
	if e.Rule != "" {
		attrs = append(attrs, "rule", e.Rule)
		span.SetAttributes(attribute.String("policy.rule", e.Rule))
	}
	level := slog.LevelInfo
	if e.Code == apierr.CodeInternal || e.Code == apierr.CodeUnavailable {
		level = slog.LevelError
	}
	log.Log(ctx, level, c.Kind+" call failed", attrs...)
}
