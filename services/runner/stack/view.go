package stack

import (
	"context"
	"sort"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/runner/access"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/policy"
)

// composeServiceLabel is the label naming a container's Compose service.
const composeServiceLabel = "com.docker.compose.service"

// stackObjects are the Docker objects of one stack (or of every stack of an
// owner, when listing), found by the owner label first.
type stackObjects struct {
	containers []container.Summary
	networks   []network.Summary
	volumes    []volume.Volume
}

func (o stackObjects) empty() bool {
	return len(o.containers)+len(o.networks)+len(o.volumes) == 0
}

// stackFilter matches owner's objects of stack ("" for any stack; owner ""
// for every owner: admins).
func stackFilter(owner, stack string) client.Filters {
	f := engine.OwnerFilter(owner)
	if stack == "" {
		return f.Add("label", policy.LabelStack)
	}
	return f.Add("label", policy.LabelStack+"="+stack)
}

func (s *service) objects(ctx context.Context, owner, stack string) (stackObjects, error) {
	var o stackObjects
	f := stackFilter(owner, stack)
	cs, err := s.docker.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return o, engine.FromDocker("list the stack's containers", err)
	}
	ns, err := s.docker.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return o, engine.FromDocker("list the stack's networks", err)
	}
	vs, err := s.docker.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err != nil {
		return o, engine.FromDocker("list the stack's volumes", err)
	}
	o.containers, o.networks, o.volumes = cs.Items, ns.Items, vs.Items
	return o, nil
}

// usage is what containers count against the quota (their limit labels).
func usage(cs []container.Summary) msg.Quota {
	var u msg.Quota
	for _, c := range cs {
		u.Containers++
		mem, cpus := policy.Counted(c.Labels)
		u.MemoryMB += mem
		u.CPUs += cpus
	}
	return u
}

// target resolves a reference to the stack's owner (and their username).
func (s *service) target(ctx context.Context, ref msg.StackRef) (owner, username string, err error) {
	c, err := access.Caller(ctx)
	if err != nil {
		return "", "", err
	}
	if owner, err = access.OwnerOf(c, ref.Owner); err != nil {
		return "", "", err
	}
	if err := names.ValidateObject("stack", ref.Name); err != nil {
		return "", "", apierr.NotFound("stack %q not found", ref.Name)
	}
	return owner, c.Username, nil
}

func (s *service) Get(ctx context.Context, ref msg.StackRef) (msg.Stack, error) {
	owner, username, err := s.target(ctx, ref)
	if err != nil {
		return msg.Stack{}, err
	}
	return s.view(ctx, owner, username, ref.Name)
}

// view is a stack as the platform shows it: its services with their
// containers' state, its networks and volumes. Unknown stacks are "not
// found", whoever owns a stack of that name.
func (s *service) view(ctx context.Context, owner, username, stack string) (msg.Stack, error) {
	o, err := s.objects(ctx, owner, stack)
	if err != nil {
		return msg.Stack{}, err
	}
	if o.empty() {
		return msg.Stack{}, apierr.NotFound("stack %q not found", stack)
	}
	st := msg.Stack{Name: stack, Owner: owner, Username: username}
	byService := map[string]*msg.StackService{}
	var rn renames
	for _, c := range o.containers {
		rn.add("service", c.Labels)
		st.Username = c.Labels[policy.LabelUsername]
		name := c.Labels[composeServiceLabel]
		svc := byService[name]
		if svc == nil {
			svc = &msg.StackService{Name: name, Image: c.Image}
			byService[name] = svc
		}
		svc.Containers = append(svc.Containers, s.container(ctx, c))
	}
	for _, svc := range byService {
		sort.Slice(svc.Containers, func(i, j int) bool { return svc.Containers[i].Name < svc.Containers[j].Name })
		svc.State = summarize(svc.Containers)
		st.Services = append(st.Services, *svc)
	}
	sort.Slice(st.Services, func(i, j int) bool { return st.Services[i].Name < st.Services[j].Name })
	var all []msg.StackContainer
	for _, svc := range st.Services {
		all = append(all, svc.Containers...)
	}
	st.Status = summarize(all)
	for _, n := range o.networks {
		st.Networks = append(st.Networks, n.Labels[policy.LabelName])
		rn.add("network", n.Labels)
		if st.Username == "" {
			st.Username = n.Labels[policy.LabelUsername]
		}
	}
	for _, v := range o.volumes {
		st.Volumes = append(st.Volumes, v.Labels[policy.LabelName])
		rn.add("volume", v.Labels)
		if from := v.Labels[LabelBind]; from != "" { // a bind mount of the file (translate_files.go)
			rn.pair("bind", from, v.Name)
		}
	}
	st.Renamed = rn.sorted()
	sort.Strings(st.Networks)
	sort.Strings(st.Volumes)
	return st, nil
}

// container is one container's state; health and exit code need an inspect.
func (s *service) container(ctx context.Context, c container.Summary) msg.StackContainer {
	v := engine.FromSummary(c)
	out := msg.StackContainer{Name: v.Name, DockerName: v.DockerName, State: v.State, Status: v.Status,
		Ports: v.Ports, Created: time.Unix(c.Created, 0).UTC()}
	if in, err := s.docker.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{}); err == nil {
		if st := in.Container.State; st != nil {
			out.ExitCode = st.ExitCode
			if st.Health != nil {
				out.Health = string(st.Health.Status)
			}
		}
		if in.Container.Config != nil {
			out.Ports = engine.FromInspect(in.Container).Ports
		}
	}
	return out
}

// summarize sums up containers' states: "running" when all run, "stopped"
// when none does, "partial" in between, "empty" without containers.
func summarize(cs []msg.StackContainer) string {
	running := 0
	for _, c := range cs {
		if c.State == "running" {
			running++
		}
	}
	switch {
	case len(cs) == 0:
		return "empty"
	case running == len(cs):
		return "running"
	case running == 0:
		return "stopped"
	}
	return "partial"
}

func (s *service) List(ctx context.Context, req msg.StackListRequest) (msg.StackList, error) {
	c, err := access.Caller(ctx)
	if err != nil {
		return msg.StackList{}, err
	}
	owner := access.ListOwner(c, req.All)
	o, err := s.objects(ctx, owner, "")
	if err != nil {
		return msg.StackList{}, err
	}
	type key struct{ owner, stack string }
	seen := map[key]string{}
	add := func(l map[string]string) {
		k := key{l[policy.LabelOwner], l[policy.LabelStack]}
		if _, ok := seen[k]; !ok || seen[k] == "" {
			seen[k] = l[policy.LabelUsername]
		}
	}
	for _, x := range o.containers {
		add(x.Labels)
	}
	for _, x := range o.networks {
		add(x.Labels)
	}
	for _, x := range o.volumes {
		add(x.Labels)
	}
	keys := make([]key, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].owner != keys[j].owner {
			return keys[i].owner < keys[j].owner
		}
		return keys[i].stack < keys[j].stack
	})
	out := msg.StackList{Stacks: make([]msg.Stack, 0, len(keys))}
	for _, k := range keys {
		st, err := s.view(ctx, k.owner, seen[k], k.stack)
		if apierr.From(err) != nil && apierr.From(err).Code == apierr.CodeNotFound {
			continue // removed meanwhile
		}
		if err != nil {
			return msg.StackList{}, err
		}
		out.Stacks = append(out.Stacks, st)
	}
	return out, nil
}
