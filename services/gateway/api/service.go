// Package api is the gateway's HTTP API (/api/v1), in go-kit layers: this
// service turns API calls into commands on NATS; endpoint.go, the HTTP
// transport and the middleware wrap it. The gateway never talks to Docker or
// another service's tables: it authenticates, then asks.
package api

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/gateway/authn"
)

// Me is who the caller is, as GET /api/v1/me shows it: identity, quota
// and usage, and the state of their Linux account on the Docker host. A
// part whose service does not answer in time is left out, not an error.
type Me struct {
	UserID       string            `json:"user_id"`
	Username     string            `json:"username"`
	Email        string            `json:"email"`
	Role         identity.Role     `json:"role"`
	Usage        *msg.Usage        `json:"usage,omitempty"`
	LinuxAccount *msg.LinuxAccount `json:"linux_account,omitempty"`
}

// Service is the API.
type Service interface {
	Me(ctx context.Context) (Me, error)
	CreateContainer(ctx context.Context, req msg.ContainerCreate) (msg.Container, error)
	ListContainers(ctx context.Context, req msg.ContainerListRequest) (msg.ContainerList, error)
	GetContainer(ctx context.Context, ref msg.ContainerRef) (msg.Container, error)
	ContainerAction(ctx context.Context, op subjects.RunnerOp, ref msg.ContainerRef) (msg.Container, error)
	RemoveContainer(ctx context.Context, ref msg.ContainerRef) error

	ListVolumes(ctx context.Context, req msg.VolumeListRequest) (msg.VolumeList, error)
	CreateVolume(ctx context.Context, req msg.VolumeCreate) (msg.Volume, error)
	RemoveVolume(ctx context.Context, ref msg.VolumeRef) error
	ListNetworks(ctx context.Context, req msg.NetworkListRequest) (msg.NetworkList, error)
	CreateNetwork(ctx context.Context, req msg.NetworkCreate) (msg.Network, error)
	RemoveNetwork(ctx context.Context, ref msg.NetworkRef) error
}

type service struct{ nc *nats.Conn }

// New returns the API service sending commands on nc.
func New(nc *nats.Conn) Service { return &service{nc: nc} }

func (s *service) Me(ctx context.Context) (Me, error) {
	sess, ok := authn.Session(ctx)
	if !ok {
		return Me{}, identity.ErrNoCaller
	}
	me := Me{UserID: sess.UserID, Username: sess.Username, Email: sess.Email, Role: sess.Role}
	// Both parts are asked at once and bounded, so a slow or absent
	// service never makes /me slow.
	ctx, cancel := context.WithTimeout(ctx, meTimeout)
	defer cancel()
	usage := make(chan *msg.Usage, 1)
	go func() {
		u, err := runner[msg.Usage](ctx, s.nc, subjects.UsageGet, msg.UsageRequest{})
		if err != nil {
			usage <- nil
			return
		}
		usage <- &u
	}()
	st, err := bus.Request[msg.ProvisionStatus](ctx, s.nc, subjects.ProvisionerStatus, msg.ProvisionStatusRequest{UserIDs: []string{sess.UserID}})
	if err == nil && len(st.Accounts) > 0 {
		me.LinuxAccount = &st.Accounts[0]
	}
	me.Usage = <-usage
	return me, nil
}

// meTimeout bounds the optional parts of /me.
const meTimeout = 2 * time.Second

func (s *service) ListVolumes(ctx context.Context, req msg.VolumeListRequest) (msg.VolumeList, error) {
	return runner[msg.VolumeList](ctx, s.nc, subjects.VolumeList, req)
}

func (s *service) CreateVolume(ctx context.Context, req msg.VolumeCreate) (msg.Volume, error) {
	return runner[msg.Volume](ctx, s.nc, subjects.VolumeCreate, req)
}

func (s *service) RemoveVolume(ctx context.Context, ref msg.VolumeRef) error {
	_, err := runner[msg.Empty](ctx, s.nc, subjects.VolumeRemove, ref)
	return err
}

func (s *service) ListNetworks(ctx context.Context, req msg.NetworkListRequest) (msg.NetworkList, error) {
	return runner[msg.NetworkList](ctx, s.nc, subjects.NetworkList, req)
}

func (s *service) CreateNetwork(ctx context.Context, req msg.NetworkCreate) (msg.Network, error) {
	return runner[msg.Network](ctx, s.nc, subjects.NetworkCreate, req)
}

func (s *service) RemoveNetwork(ctx context.Context, ref msg.NetworkRef) error {
	_, err := runner[msg.Empty](ctx, s.nc, subjects.NetworkRemove, ref)
	return err
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
