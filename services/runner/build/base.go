package build

import (
	"context"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/image"
	"github.com/dockeronline/platform/services/runner/policy"
)

// base is what the builder will take from the image a FROM names, for the
// policy to judge the Dockerfile with: its ENV, working directory and
// ONBUILD triggers. The caller must be allowed the image and its registry
// first; an image not on the host is pulled now, as the builder would pull
// it, so the policy sees the very config the build starts from. The
// image's id is recorded in pins, for Run to check it is still the one.
func (b *Builder) base(ctx context.Context, c identity.Caller, ref string, pins map[string]string) (policy.BaseImage, error) {
	if err := image.MayUse(ctx, b.docker, c, ref); err != nil {
		return policy.BaseImage{}, err
	}
	if err := AllowedRegistry(ctx, b.docker, b.registries, ref); err != nil {
		return policy.BaseImage{}, err
	}
	_, familiar, err := image.Parse(ref)
	if err != nil {
		return policy.BaseImage{}, err
	}
	in, err := b.docker.ImageInspect(ctx, familiar)
	if cerrdefs.IsNotFound(err) {
		if err := b.pull(ctx, familiar); err != nil {
			return policy.BaseImage{}, err
		}
		in, err = b.docker.ImageInspect(ctx, familiar)
	}
	if err != nil {
		return policy.BaseImage{}, engine.FromDocker("inspect image "+familiar, err)
	}
	pins[familiar] = in.ID
	if in.Config == nil {
		return policy.BaseImage{}, nil
	}
	return policy.BaseImage{Env: in.Config.Env, WorkingDir: in.Config.WorkingDir, OnBuild: in.Config.OnBuild}, nil
}

// pull fetches ref into the engine and waits for it to land.
func (b *Builder) pull(ctx context.Context, ref string) error {
	res, err := b.docker.ImagePull(ctx, ref, client.ImagePullOptions{})
	if err != nil {
		return engine.FromDocker("pull "+ref, err)
	}
	defer res.Close()
	return engine.FromDocker("pull "+ref, res.Wait(ctx))
}

// checkPins refuses a build whose base images changed since they were
// judged (a build or pull that re-tagged one meanwhile): the engine would
// start from a config the policy never saw.
func (b *Builder) checkPins(ctx context.Context, pins map[string]string) error {
	for ref, id := range pins {
		in, err := b.docker.ImageInspect(ctx, ref)
		if err != nil || in.ID != id {
			return apierr.New(apierr.CodeConflict, "the base image %s changed after the build was judged; build again", ref)
		}
	}
	return nil
}
