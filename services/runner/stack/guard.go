package stack

import (
	"context"
	"io"
	"maps"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/runner/build"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/image"
	"github.com/dockeronline/platform/services/runner/isolation"
	"github.com/dockeronline/platform/services/runner/policy"
)

// composeProjectLabel is the label Compose puts on everything of a project.
const composeProjectLabel = "com.docker.compose.project"

// guard is the Docker API client the Compose SDK gets: the engine, seen
// through the tenancy rules of one stack. It is the last line, below the
// check of the compose file: whatever Compose sends is judged as it
// reaches Docker.
//   - Every list is filtered by the owner label, so Compose only ever sees,
//     stops and removes the owner's objects (a container of another user
//     carrying this project's Compose label stays invisible).
//   - Every container create gets the owner's labels and the platform name
//     matching its Docker name, the platform's defaults (limits, log size,
//     no-new-privileges), and is judged by policy.Engine.Admit, like any
//     container; it may only join the owner's networks.
//   - Networks and volumes are created only in the owner's namespace, with
//     the owner's labels; removals and stops touch only the owner's objects.
//   - Images are pulled only where the caller may (image.MayPull); Compose
//     never builds (the platform's builder did, before).
type guard struct {
	client.APIClient
	docker  *client.Client
	policy  *policy.Engine
	caller  identity.Caller
	tenant  policy.Tenant
	project string // "<user>--<stack>"
	stack   string
	// registries, if set, are the only registries images may come from.
	registries []string
}

func (g *guard) forbidden(format string, args ...any) error {
	return apierr.Policy(policy.RuleNetwork, format, args...)
}

// mine adds the owner filter to a list's filters.
func (g *guard) mine(f client.Filters) client.Filters {
	if f == nil {
		f = client.Filters{}
	} else {
		f = f.Clone()
	}
	return f.Add("label", policy.LabelOwner+"="+g.tenant.UserID)
}

func (g *guard) ContainerList(ctx context.Context, o client.ContainerListOptions) (client.ContainerListResult, error) {
	o.Filters = g.mine(o.Filters)
	return g.APIClient.ContainerList(ctx, o)
}

func (g *guard) NetworkList(ctx context.Context, o client.NetworkListOptions) (client.NetworkListResult, error) {
	o.Filters = g.mine(o.Filters)
	return g.APIClient.NetworkList(ctx, o)
}

func (g *guard) VolumeList(ctx context.Context, o client.VolumeListOptions) (client.VolumeListResult, error) {
	o.Filters = g.mine(o.Filters)
	return g.APIClient.VolumeList(ctx, o)
}

// platformLabels are the labels every stack object carries.
func (g *guard) platformLabels(l map[string]string, name string) map[string]string {
	if l == nil {
		l = map[string]string{}
	}
	l[policy.LabelOwner] = g.tenant.UserID
	l[policy.LabelUsername] = g.tenant.Username
	l[policy.LabelStack] = g.stack
	l[policy.LabelName] = name
	return l
}

// userName checks that dockerName is in the owner's namespace and returns
// the name the user knows it by.
func (g *guard) userName(kind, dockerName string) (string, error) {
	u, n, ok := names.SplitDocker(dockerName)
	if !ok || u != g.tenant.Username || names.ValidateObject(kind, n) != nil {
		return "", apierr.Policy(policy.RuleName, "%s %q is not a name in your namespace", kind, dockerName)
	}
	return n, nil
}

func (g *guard) ContainerCreate(ctx context.Context, o client.ContainerCreateOptions) (client.ContainerCreateResult, error) {
	if o.Config == nil || o.HostConfig == nil {
		return client.ContainerCreateResult{}, apierr.Invalid("incomplete container configuration")
	}
	name, err := g.containerName(ctx, o.Name) // guard_recreate.go
	if err != nil {
		return client.ContainerCreateResult{}, err
	}
	if o.Config.Labels[composeProjectLabel] != g.project {
		return client.ContainerCreateResult{}, g.forbidden("container %q is not part of stack %q", o.Name, g.stack)
	}
	// Only the platform sets its labels: whatever came with the service
	// (or its image) is replaced.
	for k := range o.Config.Labels {
		if strings.HasPrefix(strings.ToLower(k), policy.LabelPrefix) {
			delete(o.Config.Labels, k)
		}
	}
	o.Config.Labels = g.platformLabels(o.Config.Labels, name)
	o.Config.Labels[policy.LabelLink] = "public"
	if svc := o.Config.Labels[composeServiceLabel]; renamedContainer(g.stack, svc, name) {
		o.Config.Labels[labelFileName] = svc
	}
	volumeBinds(o.HostConfig)
	if err := g.endpoints(o.NetworkingConfig); err != nil {
		return client.ContainerCreateResult{}, err
	}
	if o.HostConfig.OomScoreAdj < 0 && !g.caller.IsAdmin() {
		return client.ContainerCreateResult{}, apierr.Policy(policy.RuleCgroup, "a negative OOM score would shield the container from the OOM killer")
	}
	anon, err := g.anonymous(ctx, o)
	if err != nil {
		return client.ContainerCreateResult{}, err
	}
	if err := g.policy.Bound(o.HostConfig); err != nil {
		return client.ContainerCreateResult{}, err
	}
	policy.StampLimits(o.Config, o.HostConfig)
	if err := g.policy.ApplyRuntime(g.caller, g.tenant, o.HostConfig); err != nil {
		return client.ContainerCreateResult{}, err
	}
	if err := g.policy.Admit(g.caller, g.tenant, o.Config, o.HostConfig); err != nil {
		return client.ContainerCreateResult{}, err
	}
	for _, v := range anon {
		if _, err := g.VolumeCreate(ctx, client.VolumeCreateOptions{Name: v, Driver: "local"}); err != nil {
			return client.ContainerCreateResult{}, err
		}
	}
	return g.APIClient.ContainerCreate(ctx, o)
}

// anonymous judges what the image brings (policy.CheckImage) and names the container's anonymous volumes and the image's
// VOLUMEs (policy.Anonymous): they are made as the stack's volumes, with
// the owner's labels, and count in the volume quota.
func (g *guard) anonymous(ctx context.Context, o client.ContainerCreateOptions) ([]string, error) {
	ic, err := engine.InspectImageConfig(ctx, g.docker, o.Config.Image)
	if err != nil {
		return nil, err
	}
	if err := policy.CheckImage(o.Config, ic.WorkingDir, ic.Healthcheck); err != nil {
		return nil, err
	}
	return policy.Anonymous(g.tenant, o.HostConfig, ic.Volumes)
}

// volumeBinds turns Compose's "<volume>:<target>[:opts]" binds of named
// volumes into volume mounts, which is what they are: Binds is where host
// paths go, and the policy refuses every entry there. Host paths stay in
// Binds, to be refused.
func volumeBinds(h *container.HostConfig) {
	var keep []string
	for _, b := range h.Binds {
		parts := strings.Split(b, ":")
		src := parts[0]
		if len(parts) < 2 || src == "" || strings.ContainsAny(src[:1], `/.~\`) {
			keep = append(keep, b)
			continue
		}
		m := mount.Mount{Type: mount.TypeVolume, Source: src, Target: parts[1]}
		if len(parts) > 2 {
			for _, opt := range strings.Split(parts[2], ",") {
				switch opt {
				case "ro":
					m.ReadOnly = true
				case "nocopy":
					m.VolumeOptions = &mount.VolumeOptions{NoCopy: true}
				}
			}
		}
		h.Mounts = append(h.Mounts, m)
	}
	h.Binds = keep
}

// endpoints checks the networks a container joins: the owner's only, and
// no legacy links. On the user's shared network a stack container answers
// to its Docker name only, like any other container of the user: the bare
// service name is an alias on the stack's own networks.
func (g *guard) endpoints(nc *network.NetworkingConfig) error {
	if err := policy.CheckEndpoints(nc); err != nil {
		return err
	}
	if nc == nil {
		return nil
	}
	for net, ep := range nc.EndpointsConfig {
		if err := g.endpoint(net, ep); err != nil {
			return err
		}
	}
	return nil
}

func (g *guard) endpoint(net string, ep *network.EndpointSettings) error {
	if g.caller.IsAdmin() {
		return nil
	}
	u, short, ok := names.SplitDocker(net)
	if !ok || u != g.tenant.Username {
		return g.forbidden("network %q is not one of your networks", net)
	}
	if ep == nil {
		return nil
	}
	if len(ep.DriverOpts) > 0 {
		return g.forbidden("endpoint driver options are not allowed")
	}
	if len(ep.Links) > 0 {
		return apierr.Policy(policy.RuleLinks, "legacy links are not allowed: containers on your network reach each other by name")
	}
	if short == policy.DefaultNetwork {
		prefix := g.tenant.Username + names.Separator
		kept := ep.Aliases[:0]
		for _, a := range ep.Aliases {
			if strings.HasPrefix(a, prefix) {
				kept = append(kept, a)
			}
		}
		ep.Aliases = kept
	}
	return nil
}

func (g *guard) NetworkConnect(ctx context.Context, net string, o client.NetworkConnectOptions) (client.NetworkConnectResult, error) {
	name, err := g.networkName(ctx, net)
	if err != nil {
		return client.NetworkConnectResult{}, err
	}
	if err := g.ownedContainer(ctx, o.Container); err != nil {
		return client.NetworkConnectResult{}, err
	}
	if err := g.endpoint(name, o.EndpointConfig); err != nil {
		return client.NetworkConnectResult{}, err
	}
	return g.APIClient.NetworkConnect(ctx, net, o)
}

// networkName resolves a network reference (name or id) to the name of one
// of the owner's networks.
func (g *guard) networkName(ctx context.Context, ref string) (string, error) {
	res, err := g.docker.NetworkInspect(ctx, ref, client.NetworkInspectOptions{})
	if err != nil {
		return "", engine.FromDocker("inspect network "+ref, err)
	}
	if res.Network.Labels[policy.LabelOwner] != g.tenant.UserID && !g.caller.IsAdmin() {
		return "", g.forbidden("network %q is not one of your networks", ref)
	}
	return res.Network.Name, nil
}

func (g *guard) NetworkCreate(ctx context.Context, name string, o client.NetworkCreateOptions) (client.NetworkCreateResult, error) {
	short, err := g.userName("network", name)
	if err != nil {
		return client.NetworkCreateResult{}, err
	}
	if !g.caller.IsAdmin() {
		switch {
		case o.Driver != "" && o.Driver != "bridge":
			return client.NetworkCreateResult{}, g.forbidden("network driver %q is not allowed", o.Driver)
		case len(o.Options) > 0, o.ConfigFrom != "", o.ConfigOnly, o.Ingress, o.Scope == "swarm":
			return client.NetworkCreateResult{}, g.forbidden("network options are not allowed")
		case o.IPAM != nil && (len(o.IPAM.Config) > 0 || len(o.IPAM.Options) > 0 || (o.IPAM.Driver != "" && o.IPAM.Driver != "default")):
			return client.NetworkCreateResult{}, g.forbidden("custom address management is not allowed")
		}
	}
	o.Labels = g.platformLabels(o.Labels, short)
	if o.Options[isolation.BridgeNameOption] == "" { // an admin may name their own bridge
		o.Options = maps.Clone(o.Options)
		if o.Options == nil {
			o.Options = map[string]string{}
		}
		o.Options[isolation.BridgeNameOption] = isolation.BridgeName(name) // the host firewall matches it by prefix
	}
	return g.APIClient.NetworkCreate(ctx, name, o)
}

func (g *guard) VolumeCreate(ctx context.Context, o client.VolumeCreateOptions) (client.VolumeCreateResult, error) {
	short, err := g.userName("volume", o.Name)
	if err != nil {
		return client.VolumeCreateResult{}, err
	}
	if err := g.policy.CheckVolumeDriver(g.caller, o.Driver, o.DriverOpts); err != nil {
		return client.VolumeCreateResult{}, err
	}
	if o.ClusterVolumeSpec != nil {
		return client.VolumeCreateResult{}, apierr.Policy(policy.RuleVolumes, "cluster volumes are not allowed")
	}
	o.Labels = g.platformLabels(o.Labels, short)
	return g.APIClient.VolumeCreate(ctx, o)
}

// ImageBuild is refused: a stack's images are built by the platform's
// builder, judged by the policy, before Compose runs.
func (g *guard) ImageBuild(context.Context, io.Reader, client.ImageBuildOptions) (client.ImageBuildResult, error) {
	return client.ImageBuildResult{}, apierr.Policy(policy.RuleComposeFeature, "Compose may not build: the platform builds a stack's images")
}

func (g *guard) ImagePull(ctx context.Context, ref string, o client.ImagePullOptions) (client.ImagePullResponse, error) {
	if err := image.MayPull(ctx, g.docker, g.caller, ref); err != nil {
		return nil, err
	}
	if err := build.AllowedRegistry(ctx, g.docker, g.registries, ref); err != nil {
		return nil, err
	}
	return g.APIClient.ImagePull(ctx, ref, o)
}

func (g *guard) ExecCreate(ctx context.Context, id string, o client.ExecCreateOptions) (client.ExecCreateResult, error) {
	if o.Privileged && !g.caller.IsAdmin() {
		return client.ExecCreateResult{}, apierr.Policy(policy.RulePrivileged, "privileged exec is not allowed")
	}
	if err := g.policy.CheckExec(o.WorkingDir, o.Env, o.Cmd); err != nil {
		return client.ExecCreateResult{}, err
	}
	if err := g.ownedContainer(ctx, id); err != nil {
		return client.ExecCreateResult{}, err
	}
	return g.APIClient.ExecCreate(ctx, id, o)
}

// ownedContainer checks that id is one of the owner's containers.
func (g *guard) ownedContainer(ctx context.Context, id string) error {
	res, err := g.docker.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return engine.FromDocker("inspect container "+id, err)
	}
	if res.Container.Config == nil || res.Container.Config.Labels[policy.LabelOwner] != g.tenant.UserID {
		return apierr.NotFound("container %q not found", id)
	}
	return nil
}

func (g *guard) ContainerStop(ctx context.Context, id string, o client.ContainerStopOptions) (client.ContainerStopResult, error) {
	if err := g.ownedContainer(ctx, id); err != nil {
		return client.ContainerStopResult{}, err
	}
	return g.APIClient.ContainerStop(ctx, id, o)
}

func (g *guard) ContainerKill(ctx context.Context, id string, o client.ContainerKillOptions) (client.ContainerKillResult, error) {
	if err := g.ownedContainer(ctx, id); err != nil {
		return client.ContainerKillResult{}, err
	}
	return g.APIClient.ContainerKill(ctx, id, o)
}

func (g *guard) ContainerRestart(ctx context.Context, id string, o client.ContainerRestartOptions) (client.ContainerRestartResult, error) {
	if err := g.ownedContainer(ctx, id); err != nil {
		return client.ContainerRestartResult{}, err
	}
	return g.APIClient.ContainerRestart(ctx, id, o)
}

func (g *guard) ContainerRemove(ctx context.Context, id string, o client.ContainerRemoveOptions) (client.ContainerRemoveResult, error) {
	if err := g.ownedContainer(ctx, id); err != nil {
		return client.ContainerRemoveResult{}, err
	}
	return g.APIClient.ContainerRemove(ctx, id, o)
}

func (g *guard) ContainerUpdate(context.Context, string, client.ContainerUpdateOptions) (client.ContainerUpdateResult, error) {
	return client.ContainerUpdateResult{}, apierr.Policy(policy.RuleComposeFeature, "container updates go through the platform")
}

func (g *guard) NetworkRemove(ctx context.Context, ref string, o client.NetworkRemoveOptions) (client.NetworkRemoveResult, error) {
	res, err := g.docker.NetworkInspect(ctx, ref, client.NetworkInspectOptions{})
	if err != nil {
		return client.NetworkRemoveResult{}, engine.FromDocker("inspect network "+ref, err)
	}
	// Only the stack's own networks go; the user's default network stays.
	if res.Network.Labels[policy.LabelOwner] != g.tenant.UserID || res.Network.Labels[policy.LabelStack] != g.stack {
		return client.NetworkRemoveResult{}, g.forbidden("network %q is not a network of stack %q", ref, g.stack)
	}
	return g.APIClient.NetworkRemove(ctx, ref, o)
}

func (g *guard) VolumeRemove(ctx context.Context, ref string, o client.VolumeRemoveOptions) (client.VolumeRemoveResult, error) {
	res, err := g.docker.VolumeInspect(ctx, ref, client.VolumeInspectOptions{})
	if err != nil {
		return client.VolumeRemoveResult{}, engine.FromDocker("inspect volume "+ref, err)
	}
	if res.Volume.Labels[policy.LabelOwner] != g.tenant.UserID || res.Volume.Labels[policy.LabelStack] != g.stack {
		return client.VolumeRemoveResult{}, apierr.Policy(policy.RuleVolumes, "volume %q is not a volume of stack %q", ref, g.stack)
	}
	return g.APIClient.VolumeRemove(ctx, ref, o)
}
