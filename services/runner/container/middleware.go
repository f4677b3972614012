package container

import (
	"context"
	"log/slog"
	"time"

	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/access"
)

// Middleware decorates a Service.
type Middleware func(Service) Service

// Logging logs every call with its caller, target, duration and outcome,
// and tags the current span with the container name and any refused rule.
func Logging(log *slog.Logger) Middleware {
	return func(next Service) Service { return logging{next: next, log: log} }
}

type logging struct {
	next Service
	log  *slog.Logger
}

func (l logging) done(ctx context.Context, method, target string, start time.Time, err error) {
	access.LogCall(ctx, l.log, access.Call{Kind: "container", Method: method, Target: target, Start: start, Err: err})
}

func (l logging) Create(ctx context.Context, req msg.ContainerCreate) (v msg.Container, err error) {
	defer func(t time.Time) { l.done(ctx, "create", req.Spec.Name, t, err) }(time.Now())
	return l.next.Create(ctx, req)
}

func (l logging) List(ctx context.Context, req msg.ContainerListRequest) (v msg.ContainerList, err error) {
	defer func(t time.Time) { l.done(ctx, "list", "", t, err) }(time.Now())
	return l.next.List(ctx, req)
}

func (l logging) Get(ctx context.Context, ref msg.ContainerRef) (v msg.Container, err error) {
	defer func(t time.Time) { l.done(ctx, "get", ref.Name, t, err) }(time.Now())
	return l.next.Get(ctx, ref)
}

func (l logging) Start(ctx context.Context, ref msg.ContainerRef) (v msg.Container, err error) {
	defer func(t time.Time) { l.done(ctx, "start", ref.Name, t, err) }(time.Now())
	return l.next.Start(ctx, ref)
}

func (l logging) Stop(ctx context.Context, ref msg.ContainerRef) (v msg.Container, err error) {
	defer func(t time.Time) { l.done(ctx, "stop", ref.Name, t, err) }(time.Now())
	return l.next.Stop(ctx, ref)
}

func (l logging) Restart(ctx context.Context, ref msg.ContainerRef) (v msg.Container, err error) {
	defer func(t time.Time) { l.done(ctx, "restart", ref.Name, t, err) }(time.Now())
	return l.next.Restart(ctx, ref)
}

func (l logging) Remove(ctx context.Context, ref msg.ContainerRef) (v msg.Empty, err error) {
	defer func(t time.Time) { l.done(ctx, "remove", ref.Name, t, err) }(time.Now())
	return l.next.Remove(ctx, ref)
}
