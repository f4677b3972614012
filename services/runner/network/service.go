// Package network is the runner's service for users' private bridge
// networks. Every user has "default" (made on first use); they may create
// more (e.g. internal ones) and attach containers to any of their own.
// Networks of different users never share a bridge, so their containers
// cannot reach each other.
package network

import (
	"context"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/runner/access"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/isolation"
	"github.com/dockeronline/platform/services/runner/policy"
	"github.com/dockeronline/platform/services/runner/quota"
)

// Service manages the caller's networks.
type Service interface {
	List(ctx context.Context, req msg.NetworkListRequest) (msg.NetworkList, error)
	Create(ctx context.Context, req msg.NetworkCreate) (msg.Network, error)
	Remove(ctx context.Context, ref msg.NetworkRef) (msg.Empty, error)
}

type service struct {
	docker *client.Client
	gate   *quota.Gate
}

// New returns the network service; creates are admitted by gate (the
// user's network quota: each bridge takes one of Docker's address pools,
// which all users share).
func New(docker *client.Client, gate *quota.Gate) Service {
	return &service{docker: docker, gate: gate}
}

func (s *service) List(ctx context.Context, req msg.NetworkListRequest) (msg.NetworkList, error) {
	c, err := access.Caller(ctx)
	if err != nil {
		return msg.NetworkList{}, err
	}
	ns, err := engine.ListNetworks(ctx, s.docker, access.ListOwner(c, req.All))
	if err != nil {
		return msg.NetworkList{}, err
	}
	out := msg.NetworkList{Networks: make([]msg.Network, 0, len(ns))}
	for _, n := range ns {
		in, err := s.docker.NetworkInspect(ctx, n.ID, client.NetworkInspectOptions{})
		if err != nil {
			if cerrdefs.IsNotFound(err) {
				continue // removed meanwhile
			}
			return msg.NetworkList{}, engine.FromDocker("inspect network "+n.Name, err)
		}
		out.Networks = append(out.Networks, view(in.Network))
	}
	return out, nil
}

func (s *service) Create(ctx context.Context, req msg.NetworkCreate) (msg.Network, error) {
	c, err := access.Caller(ctx)
	if err != nil {
		return msg.Network{}, err
	}
	if err := names.ValidateObject("network", req.Name); err != nil {
		return msg.Network{}, apierr.Invalid("%v", err)
	}
	t := access.Tenant(c)
	dn := names.Docker(t.Username, req.Name)
	if _, err := s.docker.NetworkInspect(ctx, dn, client.NetworkInspectOptions{}); err == nil {
		return msg.Network{}, apierr.Conflict("a network named %q already exists", req.Name)
	}
	done, err := s.gate.Admit(ctx, t.UserID, msg.Quota{Networks: 1})
	if err != nil {
		return msg.Network{}, err
	}
	defer done()
	res, err := s.docker.NetworkCreate(ctx, dn, client.NetworkCreateOptions{
		Driver:   "bridge",
		Options:  isolation.BridgeOptions(dn), // the host firewall matches it by prefix
		Internal: req.Internal,
		Labels:   map[string]string{policy.LabelOwner: t.UserID, policy.LabelUsername: t.Username, policy.LabelName: req.Name},
	})
	if err != nil {
		return msg.Network{}, engine.FromDocker("create network "+req.Name, err)
	}
	in, err := s.docker.NetworkInspect(ctx, res.ID, client.NetworkInspectOptions{})
	if err != nil {
		return msg.Network{}, engine.FromDocker("inspect network "+req.Name, err)
	}
	return view(in.Network), nil
}

func (s *service) Remove(ctx context.Context, ref msg.NetworkRef) (msg.Empty, error) {
	c, err := access.Caller(ctx)
	if err != nil {
		return msg.Empty{}, err
	}
	owner, err := access.OwnerOf(c, ref.Owner)
	if err != nil {
		return msg.Empty{}, err
	}
	n, err := s.find(ctx, owner, ref.Name)
	if err != nil {
		return msg.Empty{}, err
	}
	if attached := containerNames(n); len(attached) > 0 {
		return msg.Empty{}, apierr.Conflict("network %q is in use by %s: remove or disconnect those containers first", ref.Name, strings.Join(attached, ", "))
	}
	if _, err := s.docker.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
		return msg.Empty{}, engine.FromDocker("remove network "+ref.Name, err)
	}
	return msg.Empty{}, nil
}

// find looks the network up by owner label first.
func (s *service) find(ctx context.Context, owner, name string) (network.Inspect, error) {
	if names.ValidateObject("network", name) != nil {
		return network.Inspect{}, apierr.NotFound("network %q not found", name)
	}
	res, err := s.docker.NetworkList(ctx, client.NetworkListOptions{Filters: engine.OwnerFilter(owner).Add("label", policy.LabelName+"="+name)})
	if err != nil {
		return network.Inspect{}, engine.FromDocker("look up network "+name, err)
	}
	if len(res.Items) == 0 {
		return network.Inspect{}, apierr.NotFound("network %q not found", name)
	}
	in, err := s.docker.NetworkInspect(ctx, res.Items[0].ID, client.NetworkInspectOptions{})
	if err != nil {
		return network.Inspect{}, engine.FromDocker("inspect network "+name, err)
	}
	return in.Network, nil
}

func containerNames(n network.Inspect) []string {
	out := []string{}
	for _, ep := range n.Containers {
		if _, name, ok := names.SplitDocker(ep.Name); ok {
			out = append(out, name)
		} else {
			out = append(out, ep.Name)
		}
	}
	return out
}

func view(n network.Inspect) msg.Network {
	out := msg.Network{
		Name:       n.Labels[policy.LabelName],
		DockerName: n.Name,
		Owner:      n.Labels[policy.LabelOwner],
		Username:   n.Labels[policy.LabelUsername],
		Internal:   n.Internal,
		Created:    n.Created.UTC(),
		Containers: containerNames(n),
	}
	if len(n.IPAM.Config) > 0 && n.IPAM.Config[0].Subnet.IsValid() {
		out.Subnet = n.IPAM.Config[0].Subnet.String()
	}
	return out
}
