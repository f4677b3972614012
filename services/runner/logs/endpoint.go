package logs

import (
	"context"

	"github.com/go-kit/kit/endpoint"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
)

// Endpoints are the service's methods as go-kit endpoints.
type Endpoints struct {
	Logs endpoint.Endpoint
}

// MakeEndpoints wraps s.
func MakeEndpoints(s Service) Endpoints {
	return Endpoints{
		Logs: func(ctx context.Context, request any) (any, error) {
			v, err := s.Logs(ctx, request.(msg.LogsRequest))
			// Business errors ride in the reply, never as transport errors.
			return msg.Reply[msg.LogsStarted]{Data: v, Error: apierr.From(err)}, nil
		},
	}
}
