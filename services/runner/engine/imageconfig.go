package engine

import (
	"context"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// ImageConfig is what an image brings to a container it runs as: the
// paths Docker gives anonymous volumes (VOLUME), and the working
// directory (WORKDIR) and health check (HEALTHCHECK) used when the
// container names none.
type ImageConfig struct {
	Volumes     []string
	WorkingDir  string
	Healthcheck *container.HealthConfig
}

// InspectImageConfig reads ImageConfig of image ref.
func InspectImageConfig(ctx context.Context, cli client.APIClient, ref string) (ImageConfig, error) {
	res, err := cli.ImageInspect(ctx, ref)
	if err != nil {
		return ImageConfig{}, FromDocker("inspect image "+ref, err)
	}
	var ic ImageConfig
	if res.Config != nil {
		for v := range res.Config.Volumes {
			ic.Volumes = append(ic.Volumes, v)
		}
		ic.WorkingDir = res.Config.WorkingDir
		ic.Healthcheck = res.Config.Healthcheck
	}
	return ic, nil
}
