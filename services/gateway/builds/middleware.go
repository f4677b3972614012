package builds

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

// Logging logs each build request with its caller and outcome.
func Logging(log *slog.Logger) Middleware {
	return func(next Service) Service { return logging{next: next, log: log} }
}

type logging struct {
	next Service
	log  *slog.Logger
}

func (l logging) Build(ctx context.Context, req Request) (v msg.JobStarted, err error) {
	defer func(start time.Time) {
		c, _ := identity.From(ctx)
		attrs := []any{"action", "build", "user", c.Username, "target", req.Build.Name,
			"uploaded", req.Context != nil, "took", time.Since(start), "job", v.Job.ID}
		if err != nil {
			e := apierr.From(err)
			attrs = append(attrs, "code", e.Code, "err", e.Message)
			if e.Rule != "" {
				attrs = append(attrs, "rule", e.Rule)
			}
		}
		l.log.InfoContext(ctx, "api call", attrs...)
	}(time.Now())
	return l.next.Build(ctx, req)
}
