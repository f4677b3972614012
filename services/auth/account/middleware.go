package account

import (
	"context"
	"log/slog"
	"time"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
)

// Middleware decorates a Service.
type Middleware func(Service) Service

// Logging logs failed session checks (a successful one is the hot path and
// is only logged at debug level).
func Logging(log *slog.Logger) Middleware {
	return func(next Service) Service { return logging{next: next, log: log} }
}

type logging struct {
	next Service
	log  *slog.Logger
}

func (l logging) CheckSession(ctx context.Context, req msg.SessionCheck) (s msg.Session, err error) {
	defer func(start time.Time) {
		if err != nil {
			e := apierr.From(err)
			level := slog.LevelInfo
			if e.Code == apierr.CodeUnavailable || e.Code == apierr.CodeInternal {
				level = slog.LevelError
			}
			l.log.Log(ctx, level, "session check failed", "code", e.Code, "err", e.Message, "took", time.Since(start))
			return
		}
		l.log.DebugContext(ctx, "session check", "user", s.Username, "took", time.Since(start))
	}(time.Now())
	return l.next.CheckSession(ctx, req)
}
