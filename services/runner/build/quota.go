package build

import (
	"context"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/msg"
)

// Quotas reads a user's quota (quota.Gate satisfies it).
type Quotas interface {
	Usage(ctx context.Context, owner string) (msg.Usage, error)
}

// bound narrows the memory and CPU of a build's RUN steps to the owner's
// quota where it is below the container maximum ApplyBuild set: a build
// gets what the user may give a container, no more. Without Quotas (a
// builder made by NewBuilder) the maximum stands.
func (b *Builder) bound(ctx context.Context, owner string, o *client.ImageBuildOptions) error {
	if b.quotas == nil {
		return nil
	}
	u, err := b.quotas.Usage(ctx, owner)
	if err != nil {
		return err
	}
	if mem := u.Quota.MemoryMB << 20; mem > 0 && mem < o.Memory {
		o.Memory, o.MemorySwap = mem, mem
	}
	if q := int64(u.Quota.CPUs * float64(o.CPUPeriod)); q > 0 && q < o.CPUQuota {
		o.CPUQuota = q
	}
	return nil
}
