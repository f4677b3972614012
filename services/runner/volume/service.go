// Package volume is the runner's service for users' named volumes: list
// (own only), create (within quota), remove (refused while a container
// uses it, naming the containers). go-kit layering as in container/.
package volume

import (
	"context"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/runner/access"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/policy"
	"github.com/dockeronline/platform/services/runner/quota"
)

// Service manages the caller's volumes.
type Service interface {
	List(ctx context.Context, req msg.VolumeListRequest) (msg.VolumeList, error)
	Create(ctx context.Context, req msg.VolumeCreate) (msg.Volume, error)
	Remove(ctx context.Context, ref msg.VolumeRef) (msg.Empty, error)
}

type service struct {
	docker *client.Client
	gate   *quota.Gate
}

// New returns the volume service.
func New(docker *client.Client, gate *quota.Gate) Service {
	return &service{docker: docker, gate: gate}
}

func (s *service) List(ctx context.Context, req msg.VolumeListRequest) (msg.VolumeList, error) {
	c, err := access.Caller(ctx)
	if err != nil {
		return msg.VolumeList{}, err
	}
	vs, err := engine.ListVolumes(ctx, s.docker, access.ListOwner(c, req.All))
	if err != nil {
		return msg.VolumeList{}, err
	}
	out := msg.VolumeList{Volumes: make([]msg.Volume, 0, len(vs))}
	for _, v := range vs {
		used, err := engine.ContainersUsingVolume(ctx, s.docker, v.Name)
		if err != nil {
			return msg.VolumeList{}, err
		}
		out.Volumes = append(out.Volumes, view(v, used))
	}
	return out, nil
}

func (s *service) Create(ctx context.Context, req msg.VolumeCreate) (msg.Volume, error) {
	c, err := access.Caller(ctx)
	if err != nil {
		return msg.Volume{}, err
	}
	if err := names.ValidateObject("volume", req.Name); err != nil {
		return msg.Volume{}, apierr.Invalid("%v", err)
	}
	for k := range req.Labels {
		if p := policy.ReservedPrefix(k); p != "" {
			return msg.Volume{}, apierr.Policy(policy.RuleReservedLabel, "label %q uses the reserved prefix %q", k, p)
		}
	}
	if err := policy.CheckLabels(req.Labels); err != nil {
		return msg.Volume{}, err
	}
	t := access.Tenant(c)
	dn := names.Docker(t.Username, req.Name)
	if _, err := s.docker.VolumeInspect(ctx, dn, client.VolumeInspectOptions{}); err == nil {
		return msg.Volume{}, apierr.Conflict("a volume named %q already exists", req.Name)
	} else if !cerrdefs.IsNotFound(err) {
		return msg.Volume{}, engine.FromDocker("inspect volume "+req.Name, err)
	}
	done, err := s.gate.Admit(ctx, t.UserID, msg.Quota{Volumes: 1})
	if err != nil {
		return msg.Volume{}, err
	}
	defer done()
	labels := map[string]string{policy.LabelOwner: t.UserID, policy.LabelUsername: t.Username, policy.LabelName: req.Name}
	for k, v := range req.Labels {
		labels[k] = v
	}
	res, err := s.docker.VolumeCreate(ctx, client.VolumeCreateOptions{Name: dn, Driver: "local", Labels: labels})
	if err != nil {
		return msg.Volume{}, engine.FromDocker("create volume "+req.Name, err)
	}
	return view(res.Volume, nil), nil
}

func (s *service) Remove(ctx context.Context, ref msg.VolumeRef) (msg.Empty, error) {
	c, err := access.Caller(ctx)
	if err != nil {
		return msg.Empty{}, err
	}
	owner, err := access.OwnerOf(c, ref.Owner)
	if err != nil {
		return msg.Empty{}, err
	}
	v, err := s.find(ctx, owner, ref.Name)
	if err != nil {
		return msg.Empty{}, err
	}
	used, err := engine.ContainersUsingVolume(ctx, s.docker, v.Name)
	if err != nil {
		return msg.Empty{}, err
	}
	if len(used) > 0 {
		return msg.Empty{}, apierr.Conflict("volume %q is in use by %s: remove those containers first", ref.Name, strings.Join(used, ", "))
	}
	if _, err := s.docker.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
		return msg.Empty{}, engine.FromDocker("remove volume "+ref.Name, err)
	}
	return msg.Empty{}, nil
}

// find looks the volume up by owner label first: another user's volume of
// the same Docker name is "not found".
func (s *service) find(ctx context.Context, owner, name string) (volume.Volume, error) {
	if names.ValidateObject("volume", name) != nil {
		return volume.Volume{}, apierr.NotFound("volume %q not found", name)
	}
	res, err := s.docker.VolumeList(ctx, client.VolumeListOptions{Filters: engine.OwnerFilter(owner).Add("label", policy.LabelName+"="+name)})
	if err != nil {
		return volume.Volume{}, engine.FromDocker("look up volume "+name, err)
	}
	if len(res.Items) == 0 {
		return volume.Volume{}, apierr.NotFound("volume %q not found", name)
	}
	return res.Items[0], nil
}

func view(v volume.Volume, used []string) msg.Volume {
	out := msg.Volume{
		Name:       v.Labels[policy.LabelName],
		DockerName: v.Name,
		Owner:      v.Labels[policy.LabelOwner],
		Username:   v.Labels[policy.LabelUsername],
		UsedBy:     used,
		Labels:     engine.UserLabels(v.Labels),
	}
	if out.UsedBy == nil {
		out.UsedBy = []string{}
	}
	if t, err := time.Parse(time.RFC3339, v.CreatedAt); err == nil {
		out.Created = t.UTC()
	}
	return out
}
