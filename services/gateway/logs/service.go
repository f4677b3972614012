// Package logs is the gateway's side of container logs:
// GET /api/v1/containers/{name}/logs streams them as server-sent events
// (or chunked plain text), reading from the runner with credit-based flow
// control (see pkg/msg/logs.go): the gateway grants more chunks only once
// it has written the previous ones to the client, so a slow client slows
// the runner instead of filling memory.
package logs

import (
	"context"

	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Service starts a log stream on behalf of the caller in ctx; the chunks
// arrive on stream.<req.Stream>.out, which the caller subscribed first.
type Service interface {
	Start(ctx context.Context, req msg.LogsRequest) (msg.LogsStarted, error)
}

type service struct{ nc *nats.Conn }

// New returns the NATS-backed service.
func New(nc *nats.Conn) Service { return service{nc: nc} }

func (s service) Start(ctx context.Context, req msg.LogsRequest) (msg.LogsStarted, error) {
	return bus.Request[msg.LogsStarted](ctx, s.nc, subjects.RunnerRequestSubject(subjects.ContainerLogs), req)
}
