package build

import (
	"context"
	"log/slog"
	"time"

	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/access"
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
		access.LogCall(ctx, l.log, access.Call{Kind: "build", Method: "build", Target: req.Name, Start: start, Err: err,
			Extra: []any{"job", v.Job.ID}})
	}(time.Now())
	return l.next.Start(ctx, req)
}
