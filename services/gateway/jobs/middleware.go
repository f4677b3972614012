package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
)

// Middleware decorates a Service.
type Middleware func(Service) Service

// Logging logs refused reads and the start of each event stream.
func Logging(log *slog.Logger) Middleware {
	return func(next Service) Service { return logging{next: next, log: log} }
}

type logging struct {
	next Service
	log  *slog.Logger
}

func (l logging) Get(ctx context.Context, id string) (msg.Job, error) {
	start := time.Now()
	j, err := l.next.Get(ctx, id)
	l.done(ctx, "job.get", id, start, err)
	return j, err
}

func (l logging) Watch(ctx context.Context, id string, after uint64) (<-chan msg.JobEvent, error) {
	start := time.Now()
	ch, err := l.next.Watch(ctx, id, after)
	if !errors.Is(err, ErrSeenAll) {
		l.done(ctx, "job.watch", id, start, err)
	}
	return ch, err
}

func (l logging) done(ctx context.Context, action, id string, start time.Time, err error) {
	c, _ := identity.From(ctx)
	attrs := []any{"action", action, "user", c.Username, "job", id, "took", time.Since(start)}
	if err != nil {
		e := apierr.From(err)
		attrs = append(attrs, "code", e.Code, "err", e.Message)
	}
	l.log.DebugContext(ctx, "api call", attrs...)
}
