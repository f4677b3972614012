package terminal

import (
	"context"

	"github.com/go-kit/kit/endpoint"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
)

// Endpoints are the service's methods as go-kit endpoints.
type Endpoints struct {
	Open endpoint.Endpoint
}

// MakeEndpoints wraps s.
func MakeEndpoints(s Service) Endpoints {
	return Endpoints{
		Open: func(ctx context.Context, request any) (any, error) {
			v, err := s.Open(ctx, request.(msg.TerminalOpen))
			// Business errors ride in the reply, never as transport errors.
			return msg.Reply[msg.TerminalSession]{Data: v, Error: apierr.From(err)}, nil
		},
	}
}
