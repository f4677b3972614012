package stack

import (
	"context"
	"log/slog"
	"time"

	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/access"
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

func (l logging) done(ctx context.Context, method, target string, start time.Time, err error) {
	access.LogCall(ctx, l.log, access.Call{Kind: "stack", Method: method, Target: target, Start: start, Err: err})
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

func (l logging) Variables(ctx context.Context, req msg.StackVariablesRequest) (v msg.StackVariables, err error) {
	defer func(t time.Time) { l.done(ctx, "variables", "", t, err) }(time.Now())
	return l.next.Variables(ctx, req)
}
