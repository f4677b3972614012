// Package container is the runner's container service (go-kit layering:
// service, endpoints, NATS transport, middleware). It serves the gateway's
// container commands against the Docker engine with the tenancy rules: every
// object carries the owner's labels and "<user>--<name>" Docker name, lives
// on the owner's network, and is looked up by owner first.
package container

import (
	"context"
	"log/slog"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/runner/access"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/policy"
	"github.com/dockeronline/platform/services/runner/quota"
)

// Service manages the caller's containers.
type Service interface {
	Create(ctx context.Context, req msg.ContainerCreate) (msg.Container, error)
	List(ctx context.Context, req msg.ContainerListRequest) (msg.ContainerList, error)
	Get(ctx context.Context, ref msg.ContainerRef) (msg.Container, error)
	Start(ctx context.Context, ref msg.ContainerRef) (msg.Container, error)
	Stop(ctx context.Context, ref msg.ContainerRef) (msg.Container, error)
	Restart(ctx context.Context, ref msg.ContainerRef) (msg.Container, error)
	Remove(ctx context.Context, ref msg.ContainerRef) (msg.Empty, error)
}

// StopTimeout is how long a container gets to stop before it is killed.
const StopTimeout = 10 * time.Second

type service struct {
	docker   *client.Client
	policy   *policy.Engine
	quota    *quota.Gate
	networks *engine.Networks
	// registries are the only registries a missing image may be pulled
	// from (empty: any); see image.AllowedRegistry.
	registries []string
	log        *slog.Logger
}

// New returns the container service.
func New(docker *client.Client, pol *policy.Engine, gate *quota.Gate, registries []string, log *slog.Logger) Service {
	return &service{docker: docker, policy: pol, quota: gate, networks: engine.NewNetworks(docker), registries: registries, log: log}
}

func (s *service) List(ctx context.Context, req msg.ContainerListRequest) (msg.ContainerList, error) {
	c, err := access.Caller(ctx)
	if err != nil {
		return msg.ContainerList{}, err
	}
	items, err := engine.ListContainers(ctx, s.docker, access.ListOwner(c, req.All))
	if err != nil {
		return msg.ContainerList{}, err
	}
	out := msg.ContainerList{Containers: make([]msg.Container, 0, len(items))}
	for _, it := range items {
		out.Containers = append(out.Containers, engine.FromSummary(it))
	}
	return out, nil
}

// find resolves a reference to the Docker id of the owner's container.
func (s *service) find(ctx context.Context, ref msg.ContainerRef) (string, error) {
	c, err := access.Caller(ctx)
	if err != nil {
		return "", err
	}
	owner, err := access.OwnerOf(c, ref.Owner)
	if err != nil {
		return "", err
	}
	if err := names.ValidateObject("container", ref.Name); err != nil {
		return "", apierr.NotFound("container %q not found", ref.Name)
	}
	sum, err := engine.FindContainer(ctx, s.docker, owner, ref.Name)
	if err != nil {
		return "", err
	}
	return sum.ID, nil
}

func (s *service) view(ctx context.Context, id string) (msg.Container, error) {
	res, err := s.docker.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return msg.Container{}, engine.FromDocker("inspect container", err)
	}
	return engine.FromInspect(res.Container), nil
}

func (s *service) Get(ctx context.Context, ref msg.ContainerRef) (msg.Container, error) {
	id, err := s.find(ctx, ref)
	if err != nil {
		return msg.Container{}, err
	}
	return s.view(ctx, id)
}

func (s *service) Start(ctx context.Context, ref msg.ContainerRef) (msg.Container, error) {
	id, err := s.find(ctx, ref)
	if err != nil {
		return msg.Container{}, err
	}
	if _, err := s.docker.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		return msg.Container{}, engine.FromDocker("start container "+ref.Name, err)
	}
	return s.view(ctx, id)
}

func (s *service) Stop(ctx context.Context, ref msg.ContainerRef) (msg.Container, error) {
	id, err := s.find(ctx, ref)
	if err != nil {
		return msg.Container{}, err
	}
	timeout := int(StopTimeout / time.Second)
	if _, err := s.docker.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: &timeout}); err != nil && !cerrdefs.IsNotModified(err) {
		return msg.Container{}, engine.FromDocker("stop container "+ref.Name, err)
	}
	return s.view(ctx, id)
}

func (s *service) Restart(ctx context.Context, ref msg.ContainerRef) (msg.Container, error) {
	id, err := s.find(ctx, ref)
	if err != nil {
		return msg.Container{}, err
	}
	timeout := int(StopTimeout / time.Second)
	if _, err := s.docker.ContainerRestart(ctx, id, client.ContainerRestartOptions{Timeout: &timeout}); err != nil {
		return msg.Container{}, engine.FromDocker("restart container "+ref.Name, err)
	}
	return s.view(ctx, id)
}

func (s *service) Remove(ctx context.Context, ref msg.ContainerRef) (msg.Empty, error) {
	id, err := s.find(ctx, ref)
	if err != nil {
		return msg.Empty{}, err
	}
	if _, err := s.docker.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: ref.Force}); err != nil && !cerrdefs.IsNotFound(err) {
		return msg.Empty{}, engine.FromDocker("remove container "+ref.Name, err)
	}
	return msg.Empty{}, nil
}
