package engine

import (
	"context"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/runner/policy"
)

// EnsureVolume creates the user's named volume on demand. An existing volume
// of that Docker name must carry the user's owner label; otherwise it is
// someone else's (or the host's) and is refused.
func EnsureVolume(ctx context.Context, cli *client.Client, t policy.Tenant, dockerName string) error {
	res, err := cli.VolumeInspect(ctx, dockerName, client.VolumeInspectOptions{})
	if err == nil {
		if res.Volume.Labels[policy.LabelOwner] != t.UserID {
			return apierr.Policy(policy.RuleVolumes, "volume %q is not one of your volumes", dockerName)
		}
		return nil
	}
	if !cerrdefs.IsNotFound(err) {
		return FromDocker("inspect volume "+dockerName, err)
	}
	_, name, _ := names.SplitDocker(dockerName)
	_, err = cli.VolumeCreate(ctx, client.VolumeCreateOptions{
		Name:   dockerName,
		Driver: "local",
		Labels: map[string]string{policy.LabelOwner: t.UserID, policy.LabelUsername: t.Username, policy.LabelName: name},
	})
	return FromDocker("create volume "+dockerName, err)
}

// MissingVolumes counts the Docker volumes in dockerNames that do not exist
// yet (they count against the volume quota when made on demand).
func MissingVolumes(ctx context.Context, cli *client.Client, dockerNames []string) (int, error) {
	n := 0
	for _, v := range dockerNames {
		_, err := cli.VolumeInspect(ctx, v, client.VolumeInspectOptions{})
		switch {
		case cerrdefs.IsNotFound(err):
			n++
		case err != nil:
			return 0, FromDocker("inspect volume "+v, err)
		}
	}
	return n, nil
}
