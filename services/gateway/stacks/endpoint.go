package stacks

import (
	"context"

	"github.com/go-kit/kit/endpoint"

	"github.com/dockeronline/platform/pkg/msg"
)

// Endpoints are the API's stack operations as go-kit endpoints.
type Endpoints struct {
	Up, List, Get, Down, Restart, Variables endpoint.Endpoint
}

// MakeEndpoints wraps s.
func MakeEndpoints(s Service) Endpoints {
	return Endpoints{
		Up:      func(ctx context.Context, req any) (any, error) { return s.Up(ctx, req.(UpRequest)) },
		List:    func(ctx context.Context, req any) (any, error) { return s.List(ctx, req.(msg.StackListRequest)) },
		Get:     func(ctx context.Context, req any) (any, error) { return s.Get(ctx, req.(msg.StackRef)) },
		Down:    func(ctx context.Context, req any) (any, error) { return s.Down(ctx, req.(msg.StackRef)) },
		Restart: func(ctx context.Context, req any) (any, error) { return s.Restart(ctx, req.(msg.StackRef)) },
		Variables: func(ctx context.Context, req any) (any, error) {
			return s.Variables(ctx, req.(VariablesRequest))
		},
	}
}
