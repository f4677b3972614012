package api

import (
	"context"

	"github.com/go-kit/kit/endpoint"

	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Endpoints are the API's operations as go-kit endpoints.
type Endpoints struct {
	Me, CreateContainer, ListContainers, GetContainer, RemoveContainer endpoint.Endpoint
	StartContainer, StopContainer, RestartContainer                    endpoint.Endpoint
	ListVolumes, CreateVolume, RemoveVolume                            endpoint.Endpoint
	ListNetworks, CreateNetwork, RemoveNetwork                         endpoint.Endpoint
}

// MakeEndpoints wraps s.
func MakeEndpoints(s Service) Endpoints {
	action := func(op subjects.RunnerOp) endpoint.Endpoint {
		return func(ctx context.Context, req any) (any, error) {
			return s.ContainerAction(ctx, op, req.(msg.ContainerRef))
		}
	}
	return Endpoints{
		Me: func(ctx context.Context, _ any) (any, error) { return s.Me(ctx) },
		CreateContainer: func(ctx context.Context, req any) (any, error) {
			return s.CreateContainer(ctx, req.(msg.ContainerCreate))
		},
		ListContainers: func(ctx context.Context, req any) (any, error) {
			return s.ListContainers(ctx, req.(msg.ContainerListRequest))
		},
		GetContainer: func(ctx context.Context, req any) (any, error) {
			return s.GetContainer(ctx, req.(msg.ContainerRef))
		},
		RemoveContainer: func(ctx context.Context, req any) (any, error) {
			return nil, s.RemoveContainer(ctx, req.(msg.ContainerRef))
		},
		ListVolumes: func(ctx context.Context, req any) (any, error) {
			return s.ListVolumes(ctx, req.(msg.VolumeListRequest))
		},
		CreateVolume: func(ctx context.Context, req any) (any, error) {
			return s.CreateVolume(ctx, req.(msg.VolumeCreate))
		},
		RemoveVolume: func(ctx context.Context, req any) (any, error) {
			return nil, s.RemoveVolume(ctx, req.(msg.VolumeRef))
		},
		ListNetworks: func(ctx context.Context, req any) (any, error) {
			return s.ListNetworks(ctx, req.(msg.NetworkListRequest))
		},
		CreateNetwork: func(ctx context.Context, req any) (any, error) {
			return s.CreateNetwork(ctx, req.(msg.NetworkCreate))
		},
		RemoveNetwork: func(ctx context.Context, req any) (any, error) {
			return nil, s.RemoveNetwork(ctx, req.(msg.NetworkRef))
		},
		StartContainer:   action(subjects.ContainerStart),
		StopContainer:    action(subjects.ContainerStop),
		RestartContainer: action(subjects.ContainerRestart),
	}
}
