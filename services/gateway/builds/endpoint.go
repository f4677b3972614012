package builds

import (
	"context"

	"github.com/go-kit/kit/endpoint"
)

// Endpoints are the API's build operations as go-kit endpoints.
type Endpoints struct {
	Build endpoint.Endpoint
}

// MakeEndpoints wraps s.
func MakeEndpoints(s Service) Endpoints {
	return Endpoints{
		Build: func(ctx context.Context, req any) (any, error) { return s.Build(ctx, req.(Request)) },
	}
}
