package api

import (
	"context"
	"log/slog"
	"time"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
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

func (l logging) done(ctx context.Context, action, target string, start time.Time, err error) {
	c, _ := identity.From(ctx)
	attrs := []any{"action", action, "user", c.Username, "target", target, "took", time.Since(start)}
	if err != nil {
		e := apierr.From(err)
		attrs = append(attrs, "code", e.Code, "err", e.Message)
		if e.Rule != "" {
			attrs = append(attrs, "rule", e.Rule)
		}
	}
	l.log.InfoContext(ctx, "api call", attrs...)
}

func (l logging) Me(ctx context.Context) (Me, error) { return l.next.Me(ctx) }

func (l logging) ListContainers(ctx context.Context, req msg.ContainerListRequest) (msg.ContainerList, error) {
	return l.next.ListContainers(ctx, req)
}

func (l logging) GetContainer(ctx context.Context, ref msg.ContainerRef) (msg.Container, error) {
	return l.next.GetContainer(ctx, ref)
}

func (l logging) CreateContainer(ctx context.Context, req msg.ContainerCreate) (c msg.Container, err error) {
	defer func(t time.Time) { l.done(ctx, "container.create", req.Spec.Name, t, err) }(time.Now())
	return l.next.CreateContainer(ctx, req)
}

func (l logging) ContainerAction(ctx context.Context, op subjects.RunnerOp, ref msg.ContainerRef) (c msg.Container, err error) {
	defer func(t time.Time) { l.done(ctx, string(op), ref.Name, t, err) }(time.Now())
	return l.next.ContainerAction(ctx, op, ref)
}

func (l logging) RemoveContainer(ctx context.Context, ref msg.ContainerRef) (err error) {
	defer func(t time.Time) { l.done(ctx, "container.remove", ref.Name, t, err) }(time.Now())
	return l.next.RemoveContainer(ctx, ref)
}

func (l logging) ListVolumes(ctx context.Context, req msg.VolumeListRequest) (msg.VolumeList, error) {
	return l.next.ListVolumes(ctx, req)
}

func (l logging) CreateVolume(ctx context.Context, req msg.VolumeCreate) (v msg.Volume, err error) {
	defer func(t time.Time) { l.done(ctx, "volume.create", req.Name, t, err) }(time.Now())
	return l.next.CreateVolume(ctx, req)
}

func (l logging) RemoveVolume(ctx context.Context, ref msg.VolumeRef) (err error) {
	defer func(t time.Time) { l.done(ctx, "volume.remove", ref.Name, t, err) }(time.Now())
	return l.next.RemoveVolume(ctx, ref)
}

func (l logging) ListNetworks(ctx context.Context, req msg.NetworkListRequest) (msg.NetworkList, error) {
	return l.next.ListNetworks(ctx, req)
}

func (l logging) CreateNetwork(ctx context.Context, req msg.NetworkCreate) (n msg.Network, err error) {
	defer func(t time.Time) { l.done(ctx, "network.create", req.Name, t, err) }(time.Now())
	return l.next.CreateNetwork(ctx, req)
}

func (l logging) RemoveNetwork(ctx context.Context, ref msg.NetworkRef) (err error) {
	defer func(t time.Time) { l.done(ctx, "network.remove", ref.Name, t, err) }(time.Now())
	return l.next.RemoveNetwork(ctx, ref)
}
