package container

import (
	"context"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/access"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/image"
	"github.com/dockeronline/platform/services/runner/policy"
)

// maxRequestID bounds the idempotency key (it is stored as a label).
const maxRequestID = 128

// Create creates and starts a container. With a request id it is
// idempotent: the id is a label on the container, so a retried command —
// even after the runner died mid-create — finds the first container in
// Docker, the source of truth, instead of making a second one. A container
// that cannot start is removed: nothing half-made remains.
func (s *service) Create(ctx context.Context, req msg.ContainerCreate) (msg.Container, error) {
	c, err := access.Caller(ctx)
	if err != nil {
		return msg.Container{}, err
	}
	t, err := s.quota.Tenant(ctx, c) // with the runtime an admin chose
	if err != nil {
		return msg.Container{}, err
	}
	if err := validRequestID(req.RequestID); err != nil {
		return msg.Container{}, err
	}
	if prev, ok, err := s.previous(ctx, t, req.RequestID); err != nil || ok {
		return prev, err
	}

	plan, err := s.policy.Container(c, t, req.Spec, platformLabels(t, req))
	if err != nil {
		return msg.Container{}, err
	}
	if err := s.networks.Ensure(ctx, t, plan.Network); err != nil {
		return msg.Container{}, err
	}
	// Another user's build is "not found"; a pull may not land in another
	// user's namespace.
	if err := image.MayUse(ctx, s.docker, c, req.Spec.Image); err != nil {
		return msg.Container{}, err
	}
	// Pull before taking the quota lock: a pull may take minutes.
	if err := s.ensureImage(ctx, req.Spec.Image); err != nil {
		return msg.Container{}, err
	}
	if err := s.fromImage(ctx, c, t, plan); err != nil {
		return msg.Container{}, err
	}
	newVols, err := engine.MissingVolumes(ctx, s.docker, plan.Volumes)
	if err != nil {
		return msg.Container{}, err
	}
	// tmpfs and a larger /dev/shm are memory too.
	done, err := s.quota.Admit(ctx, t.UserID, msg.Quota{Containers: 1, MemoryMB: (plan.Host.Memory + policy.TmpfsBytes(plan.Host)) >> 20,
		CPUs: float64(plan.Host.NanoCPUs) / 1e9, Volumes: newVols})
	if err != nil {
		return msg.Container{}, err
	}
	defer done()
	for _, v := range plan.Volumes {
		if err := engine.EnsureVolume(ctx, s.docker, t, v); err != nil {
			return msg.Container{}, err
		}
	}

	id, err := s.createContainer(ctx, plan)
	if err != nil {
		if apierr.From(err).Code == apierr.CodeConflict {
			// A concurrent retry of the same request may have won the race.
			if prev, ok, _ := s.previous(ctx, t, req.RequestID); ok {
				return prev, nil
			}
		}
		return msg.Container{}, err
	}
	if _, err := s.docker.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		s.discard(id)
		return msg.Container{}, apierr.Invalid("container %q could not start", req.Spec.Name).WithDocker(engine.DockerText(err))
	}
	return s.view(ctx, id)
}

// fromImage judges what the image brings to the container (policy.
// CheckImage: a WORKDIR under /proc, a too frequent HEALTHCHECK); every VOLUME gets a named volume of the user's
// (see policy.Anonymous), and the plan is judged again with them.
func (s *service) fromImage(ctx context.Context, c identity.Caller, t policy.Tenant, plan *policy.Plan) error {
	ic, err := engine.InspectImageConfig(ctx, s.docker, plan.Config.Image)
	if err != nil {
		return err
	}
	if err := policy.CheckImage(plan.Config, ic.WorkingDir, ic.Healthcheck); err != nil {
		return err
	}
	if len(ic.Volumes) == 0 {
		return nil
	}
	if err := plan.AddImageVolumes(t, ic.Volumes); err != nil {
		return err
	}
	return s.policy.Admit(c, t, plan.Config, plan.Host)
}

func validRequestID(id string) error {
	if len(id) > maxRequestID {
		return apierr.Invalid("request_id is longer than %d characters", maxRequestID)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return apierr.Invalid("request_id may only hold letters, digits, '-', '_' and '.'")
		}
	}
	return nil
}

func (s *service) previous(ctx context.Context, t policy.Tenant, requestID string) (msg.Container, bool, error) {
	if requestID == "" {
		return msg.Container{}, false, nil
	}
	sum, ok, err := engine.FindByRequest(ctx, s.docker, t.UserID, requestID)
	if err != nil || !ok {
		return msg.Container{}, false, err
	}
	v, err := s.view(ctx, sum.ID)
	if err != nil {
		return v, false, err
	}
	if v.State == "created" {
		// The runner died between create and start: finish the job.
		if _, err := s.docker.ContainerStart(ctx, sum.ID, client.ContainerStartOptions{}); err != nil {
			return msg.Container{}, false, apierr.Invalid("container %q could not start", v.Name).WithDocker(engine.DockerText(err))
		}
		v, err = s.view(ctx, sum.ID)
	}
	return v, err == nil, err
}

func platformLabels(t policy.Tenant, req msg.ContainerCreate) map[string]string {
	l := map[string]string{
		policy.LabelOwner:    t.UserID,
		policy.LabelUsername: t.Username,
		policy.LabelName:     req.Spec.Name,
		policy.LabelLink:     "public",
	}
	if req.Spec.PrivateLink {
		l[policy.LabelLink] = "private"
	}
	if req.RequestID != "" {
		l[policy.LabelRequest] = req.RequestID
	}
	return l
}

// createContainer creates the container.
func (s *service) createContainer(ctx context.Context, p *policy.Plan) (string, error) {
	opts := client.ContainerCreateOptions{Config: p.Config, HostConfig: p.Host, Name: p.Name}
	res, err := s.docker.ContainerCreate(ctx, opts)
	if err != nil {
		if cerrdefs.IsConflict(err) {
			return "", apierr.Conflict("a container named %q already exists", p.Config.Labels[policy.LabelName]).WithDocker(engine.DockerText(err))
		}
		return "", engine.FromDocker(fmt.Sprintf("create container %q", p.Config.Labels[policy.LabelName]), err)
	}
	return res.ID, nil
}

// ensureImage pulls image when the engine does not have it.
func (s *service) ensureImage(ctx context.Context, ref string) error {
	if _, err := s.docker.ImageInspect(ctx, ref); err == nil {
		return nil
	} else if !cerrdefs.IsNotFound(err) {
		return engine.FromDocker("inspect image "+ref, err)
	}
	named, _, err := image.Parse(ref)
	if err != nil {
		return err
	}
	if err := image.AllowedRegistry(s.registries, named, ref); err != nil {
		return err
	}
	rc, err := s.docker.ImagePull(ctx, ref, client.ImagePullOptions{})
	if err == nil {
		err = rc.Wait(ctx)
	}
	if err != nil {
		return apierr.Invalid("image %q is not on this host and could not be pulled", ref).WithDocker(engine.DockerText(err))
	}
	return nil
}

// discard removes a container that failed half-way; it uses its own context
// so a cancelled request still cleans up.
func (s *service) discard(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), StopTimeout)
	defer cancel()
	if _, err := s.docker.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
		s.log.ErrorContext(ctx, "could not remove a container that failed to start", "id", id, "err", err)
	}
}
