package stack

import (
	"context"
	"sort"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/docker/compose/v5/pkg/api"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/runner/access"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/policy"
)

// Down removes a stack with Compose: its containers and networks, and with
// Volumes its volumes too (their data). The user's own network stays.
func (s *service) Down(ctx context.Context, ref msg.StackRef) (msg.StackDownResult, error) {
	c, err := access.Caller(ctx)
	if err != nil {
		return msg.StackDownResult{}, err
	}
	owner, _, err := s.target(ctx, ref)
	if err != nil {
		return msg.StackDownResult{}, err
	}
	unlock := s.lock(owner, ref.Name)
	defer unlock()
	before, err := s.objects(ctx, owner, ref.Name)
	if err != nil {
		return msg.StackDownResult{}, err
	}
	if before.empty() {
		return msg.StackDownResult{}, apierr.NotFound("stack %q not found", ref.Name)
	}
	t := policy.Tenant{UserID: owner, Username: usernameOf(before)}
	if t.Username == "" {
		return msg.StackDownResult{}, apierr.NotFound("stack %q not found", ref.Name)
	}
	cs, err := s.composeFor(c, t, ref.Name, nil)
	if err != nil {
		return msg.StackDownResult{}, apierr.New(apierr.CodeInternal, "could not start Compose: %v", err)
	}
	// Each container gets its service's stop_grace_period (capped at
	// STACK_STOP_TIMEOUT by normalize).
	if err := cs.Down(ctx, names.Docker(t.Username, ref.Name), api.DownOptions{RemoveOrphans: true, Volumes: ref.Volumes}); err != nil {
		return msg.StackDownResult{}, upError(err)
	}
	if ref.Volumes {
		if err := s.removeAnonymous(ctx, before); err != nil {
			return msg.StackDownResult{}, err
		}
	}
	after, err := s.objects(ctx, owner, ref.Name)
	if err != nil {
		return msg.StackDownResult{}, err
	}
	res := msg.StackDownResult{Name: ref.Name, Containers: len(before.containers) - len(after.containers)}
	gone := func(l map[string]string, still []map[string]string) bool {
		for _, s := range still {
			if s[policy.LabelName] == l[policy.LabelName] {
				return false
			}
		}
		return true
	}
	var stillNets, stillVols []map[string]string
	for _, n := range after.networks {
		stillNets = append(stillNets, n.Labels)
	}
	for _, v := range after.volumes {
		stillVols = append(stillVols, v.Labels)
	}
	for _, n := range before.networks {
		if gone(n.Labels, stillNets) {
			res.Networks = append(res.Networks, n.Labels[policy.LabelName])
		}
	}
	for _, v := range before.volumes {
		if gone(v.Labels, stillVols) {
			res.Volumes = append(res.Volumes, v.Labels[policy.LabelName])
		}
	}
	sort.Strings(res.Networks)
	sort.Strings(res.Volumes)
	return res, nil
}

// usernameOf reads the owner's username off the stack's objects.
func usernameOf(o stackObjects) string {
	for _, c := range o.containers {
		if u := c.Labels[policy.LabelUsername]; u != "" {
			return u
		}
	}
	for _, n := range o.networks {
		if u := n.Labels[policy.LabelUsername]; u != "" {
			return u
		}
	}
	for _, v := range o.volumes {
		if u := v.Labels[policy.LabelUsername]; u != "" {
			return u
		}
	}
	return ""
}

// removeAnonymous removes the stack's anonymous volumes, which the
// platform named (policy.Anonymous): Compose only knows the volumes of the
// compose file.
func (s *service) removeAnonymous(ctx context.Context, o stackObjects) error {
	for _, v := range o.volumes {
		if !strings.HasPrefix(v.Labels[policy.LabelName], policy.AnonPrefix) {
			continue
		}
		if _, err := s.docker.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
			return engine.FromDocker("remove volume "+v.Name, err)
		}
	}
	return nil
}
