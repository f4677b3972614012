package quota

import (
	"context"
	"strconv"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/policy"
)

// Used counts what owner has allocated, from Docker: memory is the
// containers' limits plus their tmpfs and extra /dev/shm (see policy.TmpfsBytes). Limits are read from
// labels the policy engine stamps on every container, so counting needs one
// list call, not one inspect per container.
func Used(ctx context.Context, cli *client.Client, owner string) (msg.Quota, error) {
	cs, err := engine.ListContainers(ctx, cli, owner)
	if err != nil {
		return msg.Quota{}, err
	}
	var u msg.Quota
	for _, c := range cs {
		u.Containers++
		// tmpfs and a larger /dev/shm hold memory beyond the limit's.
		var mem int64
		for _, l := range []string{policy.LabelMemory, policy.LabelTmpfs} {
			if n, err := strconv.ParseInt(c.Labels[l], 10, 64); err == nil && n > 0 {
				mem += n
			}
		}
		u.MemoryMB += mem >> 20
		if n, err := strconv.ParseInt(c.Labels[policy.LabelCPUs], 10, 64); err == nil {
			u.CPUs += float64(n) / 1e9
		}
	}
	vs, err := engine.ListVolumes(ctx, cli, owner)
	if err != nil {
		return msg.Quota{}, err
	}
	u.Volumes = len(vs)
	return u, nil
}
