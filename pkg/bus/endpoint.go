package bus

import (
	"context"

	"github.com/go-kit/kit/endpoint"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
)

// Endpoint adapts a typed service method to a go-kit endpoint whose
// response is a msg.Reply: business errors ride in the reply (it is an
// endpoint.Failer), never as transport errors.
func Endpoint[Req, Resp any](f func(context.Context, Req) (Resp, error)) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		v, err := f(ctx, request.(Req))
		return msg.Reply[Resp]{Data: v, Error: apierr.From(err)}, nil
	}
}
