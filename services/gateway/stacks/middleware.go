package stacks

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

func (l logging) Up(ctx context.Context, req UpRequest) (v msg.JobStarted, err error) {
	defer func(t time.Time) {
		l.done(ctx, "stack.up", req.Stack.Name, t, err, "job", v.Job.ID, "uploaded", req.Context != nil)
	}(time.Now())
	return l.next.Up(ctx, req)
}

func (l logging) List(ctx context.Context, req msg.StackListRequest) (msg.StackList, error) {
	return l.next.List(ctx, req)
}

func (l logging) Get(ctx context.Context, ref msg.StackRef) (msg.Stack, error) {
	return l.next.Get(ctx, ref)
}

func (l logging) Down(ctx context.Context, ref msg.StackRef) (v msg.StackDownResult, err error) {
	defer func(t time.Time) { l.done(ctx, "stack.down", ref.Name, t, err, "volumes", ref.Volumes) }(time.Now())
	return l.next.Down(ctx, ref)
}

func (l logging) Restart(ctx context.Context, ref msg.StackRef) (v msg.Stack, err error) {
	defer func(t time.Time) { l.done(ctx, "stack.restart", ref.Name, t, err) }(time.Now())
	return l.next.Restart(ctx, ref)
}

func (l logging) Variables(ctx context.Context, req VariablesRequest) (msg.StackVariables, error) {
	return l.next.Variables(ctx, req)
}
