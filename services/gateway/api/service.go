// Package api is the gateway's HTTP API (/api/v1), in go-kit layers: this
// service turns API calls into commands on NATS; endpoint.go, the HTTP
// transport and the middleware wrap it. The gateway never talks to Docker or
// another service's tables: it authenticates, then asks.
package api

import (
	"context"

	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/gateway/authn"
)

// Me is who the caller is, as GET /api/v1/me shows it.
type Me struct {
	UserID   string        `json:"user_id"`
	Username string        `json:"username"`
	Email    string        `json:"email"`
	Role     identity.Role `json:"role"`
}

// Service is the API.
type Service interface {
	Me(ctx context.Context) (Me, error)
	CreateContainer(ctx context.Context, req msg.ContainerCreate) (msg.Container, error)
	ListContainers(ctx context.Context, req msg.ContainerListRequest) (msg.ContainerList, error)
	GetContainer(ctx context.Context, ref msg.ContainerRef) (msg.Container, error)
	ContainerAction(ctx context.Context, op subjects.RunnerOp, ref msg.ContainerRef) (msg.Container, error)
	RemoveContainer(ctx context.Context, ref msg.ContainerRef) error
}

type service struct{ nc *nats.Conn }

// New returns the API service sending commands on nc.
func New(nc *nats.Conn) Service { return &service{nc: nc} }

func (s *service) Me(ctx context.Context) (Me, error) {
	sess, ok := authn.Session(ctx)
	if !ok {
		return Me{}, identity.ErrNoCaller
	}
	return Me{UserID: sess.UserID, Username: sess.Username, Email: sess.Email, Role: sess.Role}, nil
}

func runner[Resp any](ctx context.Context, nc *nats.Conn, op subjects.RunnerOp, req any) (Resp, error) {
	return bus.Request[Resp](ctx, nc, subjects.RunnerRequestSubject(op), req)
}

func (s *service) CreateContainer(ctx context.Context, req msg.ContainerCreate) (msg.Container, error) {
	return runner[msg.Container](ctx, s.nc, subjects.ContainerCreate, req)
}

func (s *service) ListContainers(ctx context.Context, req msg.ContainerListRequest) (msg.ContainerList, error) {
	return runner[msg.ContainerList](ctx, s.nc, subjects.ContainerList, req)
}

func (s *service) GetContainer(ctx context.Context, ref msg.ContainerRef) (msg.Container, error) {
	return runner[msg.Container](ctx, s.nc, subjects.ContainerGet, ref)
}

func (s *service) ContainerAction(ctx context.Context, op subjects.RunnerOp, ref msg.ContainerRef) (msg.Container, error) {
	return runner[msg.Container](ctx, s.nc, op, ref)
}

func (s *service) RemoveContainer(ctx context.Context, ref msg.ContainerRef) error {
	_, err := runner[msg.Empty](ctx, s.nc, subjects.ContainerRemove, ref)
	return err
}
