// Package terminal is the gateway's side of browser terminals: the
// websocket at GET /api/v1/containers/{name}/terminal, bridged over NATS to
// the runner holding the `docker exec` (see services/runner/terminal), and
// the terminal page with xterm.js.
package terminal

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Service opens and attaches terminal sessions on behalf of the caller in ctx.
type Service interface {
	Open(ctx context.Context, req msg.TerminalOpen) (msg.TerminalSession, error)
	// Attach joins an existing session; it is routed to the runner that
	// holds it (its term.<session>.in subscription), not to any runner.
	Attach(ctx context.Context, session, viewer, name string) (msg.TerminalSession, error)
}

// ErrSessionGone answers a reattach to a session that has ended.
var ErrSessionGone = apierr.NotFound("terminal session not found (it may have ended)")

type service struct{ nc *nats.Conn }

// New returns the NATS-backed service.
func New(nc *nats.Conn) Service { return service{nc: nc} }

func (s service) Open(ctx context.Context, req msg.TerminalOpen) (msg.TerminalSession, error) {
	return bus.Request[msg.TerminalSession](ctx, s.nc, subjects.RunnerRequestSubject(subjects.TerminalOpen), req)
}

func (s service) Attach(ctx context.Context, session, viewer, name string) (msg.TerminalSession, error) {
	v, err := bus.Request[msg.TerminalSession](ctx, s.nc, subjects.TermIn(session),
		msg.TermIn{Kind: msg.TermAttach, Viewer: viewer, Name: name})
	return v, gone(err)
}

// gone maps "nobody holds that session" to ErrSessionGone.
func gone(err error) error {
	var e *apierr.Error
	if errors.As(err, &e) && e.Code == apierr.CodeUnavailable {
		return ErrSessionGone
	}
	return err
}
