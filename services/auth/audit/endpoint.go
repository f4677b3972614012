package audit

import (
	"context"

	"github.com/go-kit/kit/endpoint"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
)

// Endpoints are the service's methods as go-kit endpoints.
type Endpoints struct{ List endpoint.Endpoint }

// MakeEndpoints wraps s.
func MakeEndpoints(s Service) Endpoints {
	return Endpoints{List: func(ctx context.Context, req any) (any, error) {
		v, err := s.List(ctx, req.(msg.AuditListRequest))
		return msg.Reply[msg.AuditList]{Data: v, Error: apierr.From(err)}, nil
	}}
}
