package stack

import (
	"context"

	"github.com/compose-spec/compose-go/v2/types"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/services/runner/engine"
)

// newNetworks counts the project's networks that Compose will create (not
// external, not there yet): they count against the user's network quota,
// like networks made through the API.
func (s *service) newNetworks(ctx context.Context, p *types.Project) (int, error) {
	n := 0
	for _, nw := range p.Networks {
		if nw.External {
			continue
		}
		_, err := s.docker.NetworkInspect(ctx, nw.Name, client.NetworkInspectOptions{})
		switch {
		case cerrdefs.IsNotFound(err):
			n++
		case err != nil:
			return 0, engine.FromDocker("inspect network "+nw.Name, err)
		}
	}
	return n, nil
}
