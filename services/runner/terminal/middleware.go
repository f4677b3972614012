package terminal

import (
	"context"
	"log/slog"
	"time"

	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/access"
)

// Middleware decorates a Service.
type Middleware func(Service) Service

// Logging logs every open with its caller, container, outcome and duration.
func Logging(log *slog.Logger) Middleware {
	return func(next Service) Service { return logging{next: next, log: log} }
}

type logging struct {
	next Service
	log  *slog.Logger
}

func (l logging) Open(ctx context.Context, req msg.TerminalOpen) (v msg.TerminalSession, err error) {
	defer func(start time.Time) {
		access.LogCall(ctx, l.log, access.Call{Kind: "container", Method: "terminal.open", Target: req.Name, Start: start, Err: err,
			Extra: []any{"session", req.Session}})
	}(time.Now())
	return l.next.Open(ctx, req)
}
