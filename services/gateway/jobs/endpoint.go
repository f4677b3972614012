package jobs

import (
	"context"

	"github.com/go-kit/kit/endpoint"
)

// Endpoints are the service's request/response operations; the event
// stream is served by the transport directly (it is not one response).
type Endpoints struct {
	Get endpoint.Endpoint
}

// MakeEndpoints wraps s.
func MakeEndpoints(s Service) Endpoints {
	return Endpoints{
		Get: func(ctx context.Context, req any) (any, error) { return s.Get(ctx, req.(string)) },
	}
}
