package stack

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

// Logging logs every call with its caller, stack, duration and outcome,
// and tags the span with the stack and any refused rule.
func Logging(log *slog.Logger) Middleware {
	return func(next Service) Service { return logging{next: next, log: log} }
}

type logging struct {
	next Service
	log  *slog.Logger
}

func (l logging) done(ctx context.Context, method, stack string, start time.Time, err error) {
	c, _ := identity.From(ctx)
	attrs := []any{"method", method, "user", c.Username, "stack", stack, "took", time.Since(start)}
	span := trace.SpanFromContext(ctx)
	span.SetAttributes(attribute.String("stack.name", stack))
	if err == nil {
		l.log.InfoContext(ctx, "stack call", attrs...)
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
	l.log.Log(ctx, level, "stack call failed", attrs...)
}

func (l logging) Up(ctx context.Context, req msg.StackUpRequest) (v msg.JobStarted, err error) {
	defer func(t time.Time) { l.done(ctx, "up", req.Name, t, err) }(time.Now())
	return l.next.Up(ctx, req)
}

func (l logging) Down(ctx context.Context, ref msg.StackRef) (v msg.StackDownResult, err error) {
	defer func(t time.Time) { l.done(ctx, "down", ref.Name, t, err) }(time.Now())
	return l.next.Down(ctx, ref)
}

func (l logging) List(ctx context.Context, req msg.StackListRequest) (v msg.StackList, err error) {
	defer func(t time.Time) { l.done(ctx, "list", "", t, err) }(time.Now())
	return l.next.List(ctx, req)
}

func (l logging) Get(ctx context.Context, ref msg.StackRef) (v msg.Stack, err error) {
	defer func(t time.Time) { l.done(ctx, "get", ref.Name, t, err) }(time.Now())
	return l.next.Get(ctx, ref)
}
