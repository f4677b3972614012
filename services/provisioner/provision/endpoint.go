package provision

import (
	"context"

	"github.com/go-kit/kit/endpoint"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
)

// Endpoints are the service's operations as go-kit endpoints. Business
// errors ride in the msg.Reply (an endpoint.Failer), never as transport
// errors.
type Endpoints struct {
	Status endpoint.Endpoint
	Retry  endpoint.Endpoint
}

// MakeEndpoints wraps s.
func MakeEndpoints(s Service) Endpoints {
	return Endpoints{
		Status: func(ctx context.Context, req any) (any, error) {
			out, err := s.Status(ctx, req.(msg.ProvisionStatusRequest))
			return msg.Reply[msg.ProvisionStatus]{Data: out, Error: apierr.From(err)}, nil
		},
		Retry: func(ctx context.Context, req any) (any, error) {
			out, err := s.Retry(ctx, req.(msg.ProvisionRetryRequest))
			return msg.Reply[msg.LinuxAccount]{Data: out, Error: apierr.From(err)}, nil
		},
	}
}
