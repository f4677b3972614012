package quota

import (
	"context"

	"github.com/go-kit/kit/endpoint"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
)

// MakeEndpoints wraps s. Usage answers a single user, or everyone's for an
// admin's All request.
func MakeEndpoints(s Service) (usage, set endpoint.Endpoint) {
	usage = func(ctx context.Context, request any) (any, error) {
		req := request.(msg.UsageRequest)
		if req.All {
			v, err := s.UsageAll(ctx, req)
			return msg.Reply[msg.UsageList]{Data: v, Error: apierr.From(err)}, nil
		}
		v, err := s.Usage(ctx, req)
		return msg.Reply[msg.Usage]{Data: v, Error: apierr.From(err)}, nil
	}
	set = func(ctx context.Context, request any) (any, error) {
		v, err := s.Set(ctx, request.(msg.QuotaSetRequest))
		return msg.Reply[msg.Usage]{Data: v, Error: apierr.From(err)}, nil
	}
	return usage, set
}
