package engine

import (
	"context"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/runner/policy"
)

// Networks makes sure each user's private bridge network exists. Creation
// is serialised per process; a concurrent creator elsewhere is tolerated by
// treating "already exists" as success.
type Networks struct {
	cli *client.Client
	mu  sync.Mutex
}

// NewNetworks returns a Networks using cli.
func NewNetworks(cli *client.Client) *Networks { return &Networks{cli: cli} }

// EnsureDefault creates "<user>--default" if needed and returns its name.
func (n *Networks) EnsureDefault(ctx context.Context, t policy.Tenant) (string, error) {
	name := names.Docker(t.Username, policy.DefaultNetwork)
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, err := n.cli.NetworkInspect(ctx, name, client.NetworkInspectOptions{}); err == nil {
		return name, nil
	} else if !cerrdefs.IsNotFound(err) {
		return "", FromDocker("inspect network "+name, err)
	}
	_, err := n.cli.NetworkCreate(ctx, name, client.NetworkCreateOptions{
		Driver: "bridge",
		Labels: map[string]string{
			policy.LabelOwner: t.UserID, policy.LabelUsername: t.Username, policy.LabelName: policy.DefaultNetwork,
		},
	})
	if err != nil && !cerrdefs.IsConflict(err) && !cerrdefs.IsAlreadyExists(err) {
		return "", FromDocker("create network "+name, err)
	}
	return name, nil
}
