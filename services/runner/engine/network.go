package engine

import (
	"context"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/runner/isolation"
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

// Ensure makes sure dockerName, the network a container will join, can be
// used: the user's default network is made on first use; any other of the
// user's networks must exist and be theirs. Modes that are not a user
// network ("none", or an admin's choice) are left to the policy engine.
func (n *Networks) Ensure(ctx context.Context, t policy.Tenant, dockerName string) error {
	user, short, ok := names.SplitDocker(dockerName)
	if !ok || user != t.Username {
		return nil
	}
	if short == policy.DefaultNetwork {
		_, err := n.EnsureDefault(ctx, t)
		return err
	}
	res, err := n.cli.NetworkInspect(ctx, dockerName, client.NetworkInspectOptions{})
	if cerrdefs.IsNotFound(err) || err == nil && res.Network.Labels[policy.LabelOwner] != t.UserID {
		return apierr.Invalid("network %q does not exist: create it first", short)
	}
	return FromDocker("inspect network "+short, err)
}

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
		Driver:  "bridge",
		Options: isolation.BridgeOptions(name), // the host firewall matches it by prefix
		Labels: map[string]string{
			policy.LabelOwner: t.UserID, policy.LabelUsername: t.Username, policy.LabelName: policy.DefaultNetwork,
		},
	})
	if err != nil && !cerrdefs.IsConflict(err) && !cerrdefs.IsAlreadyExists(err) {
		return "", FromDocker("create network "+name, err)
	}
	return name, nil
}
