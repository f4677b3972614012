package container

import (
	"context"

	"github.com/go-kit/kit/endpoint"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
)

// Endpoints are the service's methods as go-kit endpoints.
type Endpoints struct {
	Create, List, Get, Start, Stop, Restart, Remove endpoint.Endpoint
}

// MakeEndpoints wraps s.
func MakeEndpoints(s Service) Endpoints {
	return Endpoints{
		Create:  wrap(s.Create),
		List:    wrap(s.List),
		Get:     wrap(s.Get),
		Start:   wrap(s.Start),
		Stop:    wrap(s.Stop),
		Restart: wrap(s.Restart),
		Remove:  wrap(s.Remove),
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
