package engine

import (
	"context"
	"fmt"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/services/runner/policy"
)

// OwnerFilter matches objects of one owner, or of every platform user when
// owner is empty.
func OwnerFilter(owner string) client.Filters {
	if owner == "" {
		return make(client.Filters).Add("label", policy.LabelOwner)
	}
	return make(client.Filters).Add("label", policy.LabelOwner+"="+owner)
}

// ListContainers lists owner's containers (running and stopped); owner ""
// lists every platform container.
func ListContainers(ctx context.Context, cli *client.Client, owner string) ([]container.Summary, error) {
	res, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: OwnerFilter(owner)})
	if err != nil {
		return nil, FromDocker("list containers", err)
	}
	return res.Items, nil
}

// FindContainer finds owner's container by the name the user chose. It asks
// Docker by owner label first, so another user's container is not found —
// never "forbidden" — whatever name or id is guessed.
func FindContainer(ctx context.Context, cli *client.Client, owner, name string) (container.Summary, error) {
	return findOne(ctx, cli, OwnerFilter(owner).Add("label", policy.LabelName+"="+name), fmt.Sprintf("container %q", name))
}

// FindByRequest finds the container an earlier create with requestID made.
func FindByRequest(ctx context.Context, cli *client.Client, owner, requestID string) (container.Summary, bool, error) {
	s, err := findOne(ctx, cli, OwnerFilter(owner).Add("label", policy.LabelRequest+"="+requestID), "request "+requestID)
	if apierr.From(err) != nil && apierr.From(err).Code == apierr.CodeNotFound {
		return s, false, nil
	}
	return s, err == nil, err
}

func findOne(ctx context.Context, cli *client.Client, f client.Filters, what string) (container.Summary, error) {
	res, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return container.Summary{}, FromDocker("look up "+what, err)
	}
	if len(res.Items) == 0 {
		return container.Summary{}, apierr.NotFound("%s not found", what)
	}
	return res.Items[0], nil
}
