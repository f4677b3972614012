package engine

import (
	"context"

	"github.com/moby/moby/client"
)

// ImageVolumes are the VOLUME paths of image ref, which Docker would give
// anonymous volumes on create.
func ImageVolumes(ctx context.Context, cli client.APIClient, ref string) ([]string, error) {
	res, err := cli.ImageInspect(ctx, ref)
	if err != nil {
		return nil, FromDocker("inspect image "+ref, err)
	}
	var targets []string
	if res.Config != nil {
		for v := range res.Config.Volumes {
			targets = append(targets, v)
		}
	}
	return targets, nil
}
