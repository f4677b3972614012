package image

import (
	"context"
	"log/slog"
	"time"

	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/access"
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

func (l logging) done(ctx context.Context, method, target string, start time.Time, err error, extra ...any) {
	access.LogCall(ctx, l.log, access.Call{Kind: "image", Method: method, Target: target, Start: start, Err: err, Extra: extra})
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
