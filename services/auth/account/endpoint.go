package account

import (
	"context"

	"github.com/go-kit/kit/endpoint"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
)

// Endpoints are the service's methods as go-kit endpoints.
type Endpoints struct {
	CheckSession endpoint.Endpoint
}

// MakeEndpoints wraps s.
func MakeEndpoints(s Service) Endpoints {
	return Endpoints{
		CheckSession: func(ctx context.Context, request any) (any, error) {
			v, err := s.CheckSession(ctx, request.(msg.SessionCheck))
			return msg.Reply[msg.Session]{Data: v, Error: apierr.From(err)}, nil
		},
	}
}
