package logs

import (
	"context"
	"log/slog"
	"time"

	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/access"
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
		access.LogCall(ctx, l.log, access.Call{Kind: "container", Method: "container.logs", Target: req.Name, Start: start, Err: err,
			Extra: []any{"stream", req.Stream, "follow", req.Follow}})
	}(time.Now())
	return l.next.Logs(ctx, req)
}
