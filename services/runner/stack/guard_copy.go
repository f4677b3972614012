package stack

import (
	"context"

	"github.com/moby/moby/client"
)

// CopyToContainer lets Compose copy configs' and secrets' content (and
// project files, translate_files.go) only into the owner's containers.
func (g *guard) CopyToContainer(ctx context.Context, id string, o client.CopyToContainerOptions) (client.CopyToContainerResult, error) {
	if err := g.ownedContainer(ctx, id); err != nil {
		return client.CopyToContainerResult{}, err
	}
	return g.APIClient.CopyToContainer(ctx, id, o)
}
