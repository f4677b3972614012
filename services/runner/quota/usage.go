package quota

import (
	"context"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/policy"
)

// Used counts what owner has allocated, from Docker. Limits are read from
// labels the policy engine stamps on every container, so counting needs one
// list call, not one inspect per container; memory includes tmpfs and a
// larger /dev/shm (policy.Counted).
func Used(ctx context.Context, cli *client.Client, owner string) (msg.Quota, error) {
	cs, err := engine.ListContainers(ctx, cli, owner)
	if err != nil {
		return msg.Quota{}, err
	}
	var u msg.Quota
	for _, c := range cs {
		u.Containers++
		mem, cpus := policy.Counted(c.Labels)
		u.MemoryMB += mem
		u.CPUs += cpus
	}
	vs, err := engine.ListVolumes(ctx, cli, owner)
	if err != nil {
		return msg.Quota{}, err
	}
	u.Volumes = len(vs)
	ns, err := engine.ListNetworks(ctx, cli, owner)
	if err != nil {
		return msg.Quota{}, err
	}
	for _, n := range ns {
		// The default network is made for the user on first use, at most
		// one each, so it does not count against what they may make.
		if n.Labels[policy.LabelName] != policy.DefaultNetwork {
			u.Networks++
		}
	}
	return u, nil
}
