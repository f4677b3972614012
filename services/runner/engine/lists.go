package engine

import (
	"context"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/services/runner/policy"
)

// ListVolumes lists owner's volumes ("" for every platform volume).
func ListVolumes(ctx context.Context, cli *client.Client, owner string) ([]volume.Volume, error) {
	res, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: OwnerFilter(owner)})
	if err != nil {
		return nil, FromDocker("list volumes", err)
	}
	return res.Items, nil
}

// ListNetworks lists owner's networks ("" for every platform network).
func ListNetworks(ctx context.Context, cli *client.Client, owner string) ([]network.Summary, error) {
	res, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: OwnerFilter(owner)})
	if err != nil {
		return nil, FromDocker("list networks", err)
	}
	return res.Items, nil
}

// ContainersUsingVolume names the containers (the names users chose, or
// Docker's for foreign ones) that mount the Docker volume dockerName.
func ContainersUsingVolume(ctx context.Context, cli *client.Client, dockerName string) ([]string, error) {
	res, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("volume", dockerName)})
	if err != nil {
		return nil, FromDocker("list containers using volume "+dockerName, err)
	}
	out := make([]string, 0, len(res.Items))
	for _, c := range res.Items {
		if n := c.Labels[policy.LabelName]; n != "" {
			out = append(out, n)
		} else if len(c.Names) > 0 {
			out = append(out, trimSlash(c.Names[0]))
		}
	}
	return out, nil
}
