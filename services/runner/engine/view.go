package engine

import (
	"net/netip"
	"sort"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/runner/policy"
)

// UserLabels are the labels the user set, without the platform's own.
func UserLabels(all map[string]string) map[string]string {
	var out map[string]string
	for k, v := range all {
		if len(k) >= len(policy.LabelPrefix) && k[:len(policy.LabelPrefix)] == policy.LabelPrefix {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out
}

// FromSummary is the platform view of a list entry.
func FromSummary(s container.Summary) msg.Container {
	c := msg.Container{
		ID:       s.ID,
		Name:     s.Labels[policy.LabelName],
		Owner:    s.Labels[policy.LabelOwner],
		Username: s.Labels[policy.LabelUsername],
		Image:    s.Image,
		State:    string(s.State),
		Status:   s.Status,
		Created:  time.Unix(s.Created, 0).UTC(),
		Labels:   UserLabels(s.Labels),
		// PrivateLink decides who may open the link; lists show it too.
		PrivateLink: s.Labels[policy.LabelLink] == "private",
	}
	if len(s.Names) > 0 {
		c.DockerName = trimSlash(s.Names[0])
	}
	c.Network = shortNetwork(s.HostConfig.NetworkMode)
	seen := map[msg.PortSpec]bool{}
	for _, p := range s.Ports {
		ps := msg.PortSpec{Container: int(p.PrivatePort), Protocol: p.Type}
		if !seen[ps] {
			seen[ps] = true
			c.Ports = append(c.Ports, ps)
		}
	}
	sortPorts(c.Ports)
	return c
}

// FromInspect is the platform view of an inspected container.
func FromInspect(in container.InspectResponse) msg.Container {
	c := msg.Container{ID: in.ID, DockerName: trimSlash(in.Name)}
	if in.Config != nil {
		c.Name = in.Config.Labels[policy.LabelName]
		c.Owner = in.Config.Labels[policy.LabelOwner]
		c.Username = in.Config.Labels[policy.LabelUsername]
		c.Image = in.Config.Image
		c.Cmd = in.Config.Cmd
		c.Env = in.Config.Env
		c.PrivateLink = in.Config.Labels[policy.LabelLink] == "private"
		c.Labels = UserLabels(in.Config.Labels)
		c.Ports = portsOf(in.Config.ExposedPorts)
	}
	if in.State != nil {
		c.State = string(in.State.Status)
		c.Status = string(in.State.Status)
		if in.State.Error != "" {
			c.Status += ": " + in.State.Error
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, in.Created); err == nil {
		c.Created = t.UTC()
	}
	if h := in.HostConfig; h != nil {
		c.Network = shortNetwork(string(h.NetworkMode))
		c.RestartPolicy = string(h.RestartPolicy.Name)
		c.MemoryMB = h.Memory >> 20
		c.CPUs = float64(h.NanoCPUs) / 1e9
	}
	return c
}

// IPOn is the container's address on network netName, if attached.
func IPOn(in container.InspectResponse, netName string) netip.Addr {
	if in.NetworkSettings == nil {
		return netip.Addr{}
	}
	if ep, ok := in.NetworkSettings.Networks[netName]; ok && ep != nil {
		return ep.IPAddress
	}
	return netip.Addr{}
}

// OwnerIP is the address the proxy reaches a container at: on the network
// it was created on when that is one of its owner's, else on any network of
// its owner's (a stack's own network, say), preferring their default one.
func OwnerIP(in container.InspectResponse) netip.Addr {
	if in.Config == nil || in.NetworkSettings == nil {
		return netip.Addr{}
	}
	user := in.Config.Labels[policy.LabelUsername]
	candidates := []string{}
	if in.HostConfig != nil {
		candidates = append(candidates, string(in.HostConfig.NetworkMode))
	}
	candidates = append(candidates, UserNetwork(in.Config.Labels))
	nets := make([]string, 0, len(in.NetworkSettings.Networks))
	for n := range in.NetworkSettings.Networks {
		nets = append(nets, n)
	}
	sort.Strings(nets)
	candidates = append(candidates, nets...)
	for _, n := range candidates {
		if u, _, ok := names.SplitDocker(n); !ok || u != user {
			continue
		}
		if ip := IPOn(in, n); ip.IsValid() {
			return ip
		}
	}
	return netip.Addr{}
}

// UserNetwork is the name of the owner's default network for a container.
func UserNetwork(labels map[string]string) string {
	return names.Docker(labels[policy.LabelUsername], policy.DefaultNetwork)
}

func portsOf(set network.PortSet) []msg.PortSpec {
	var ps []msg.PortSpec
	for p := range set {
		ps = append(ps, msg.PortSpec{Container: int(p.Num()), Protocol: string(p.Proto())})
	}
	sortPorts(ps)
	return ps
}

func sortPorts(ps []msg.PortSpec) {
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].Container != ps[j].Container {
			return ps[i].Container < ps[j].Container
		}
		return ps[i].Protocol < ps[j].Protocol
	})
}

// shortNetwork is the name the user knows a network mode by ("backend" for
// "alice--backend").
func shortNetwork(mode string) string {
	if _, n, ok := names.SplitDocker(mode); ok {
		return n
	}
	return mode
}

func trimSlash(s string) string {
	if len(s) > 0 && s[0] == '/' {
		return s[1:]
	}
	return s
}

// OwnerOf is the owner label of a platform object.
func OwnerOf(labels map[string]string) string { return labels[policy.LabelOwner] }
