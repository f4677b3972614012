package admin

import (
	"context"

	"github.com/go-kit/kit/endpoint"
)

// Endpoints are the admin API's operations as go-kit endpoints.
type Endpoints struct {
	ListUsers, CreateUser, DeleteUser, DisableUser, EnableUser endpoint.Endpoint
	SetRole, SetQuota, Audit                                   endpoint.Endpoint
	Containers, Volumes, Images                                endpoint.Endpoint
	RetryLinuxAccount                                          endpoint.Endpoint
}

// MakeEndpoints wraps s.
func MakeEndpoints(s Service) Endpoints {
	none := func(f func(context.Context) (any, error)) endpoint.Endpoint {
		return func(ctx context.Context, _ any) (any, error) { return f(ctx) }
	}
	return Endpoints{
		ListUsers:   none(func(ctx context.Context) (any, error) { return s.ListUsers(ctx) }),
		CreateUser:  typed(s.CreateUser),
		DeleteUser:  typed(s.DeleteUser),
		DisableUser: typed(s.DisableUser),
		EnableUser:  typed(s.EnableUser),
		SetRole:     typed(s.SetRole),
		SetQuota:    typed(s.SetQuota),
		Audit:       typed(s.Audit),
		Containers:  none(func(ctx context.Context) (any, error) { return s.Containers(ctx) }),
		Volumes:     none(func(ctx context.Context) (any, error) { return s.Volumes(ctx) }),
		Images:      none(func(ctx context.Context) (any, error) { return s.Images(ctx) }),

		RetryLinuxAccount: typed(s.RetryLinuxAccount),
	}
}

func typed[Req, Resp any](f func(context.Context, Req) (Resp, error)) endpoint.Endpoint {
	return func(ctx context.Context, req any) (any, error) { return f(ctx, req.(Req)) }
}
