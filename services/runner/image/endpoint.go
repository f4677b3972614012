package image

import (
	"context"

	"github.com/go-kit/kit/endpoint"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
)

// Endpoints are the service's methods as go-kit endpoints.
type Endpoints struct {
	List, Pull, Remove endpoint.Endpoint
}

// MakeEndpoints wraps s.
func MakeEndpoints(s Service) Endpoints {
	return Endpoints{
		List:   wrap(s.List),
		Pull:   wrap(s.Pull),
		Remove: wrap(s.Remove),
	}
}

// wrap adapts a typed method; business errors ride in the reply
// (msg.Reply is an endpoint.Failer), never as transport errors.
func wrap[Req, Resp any](f func(context.Context, Req) (Resp, error)) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		v, err := f(ctx, request.(Req))
		return msg.Reply[Resp]{Data: v, Error: apierr.From(err)}, nil
	}
}
