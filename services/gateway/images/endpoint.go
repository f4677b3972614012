package images

import (
	"context"

	"github.com/go-kit/kit/endpoint"

	"github.com/dockeronline/platform/pkg/msg"
)

// Endpoints are the API's image operations as go-kit endpoints.
type Endpoints struct {
	List, Pull, Remove endpoint.Endpoint
}

// MakeEndpoints wraps s.
func MakeEndpoints(s Service) Endpoints {
	return Endpoints{
		List:   func(ctx context.Context, req any) (any, error) { return s.List(ctx, req.(msg.ImageListRequest)) },
		Pull:   func(ctx context.Context, req any) (any, error) { return s.Pull(ctx, req.(msg.ImagePullRequest)) },
		Remove: func(ctx context.Context, req any) (any, error) { return s.Remove(ctx, req.(msg.ImageRef)) },
	}
}
