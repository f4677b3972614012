package stack

import (
	"sort"
	"strings"
)

// translateIPAM honours a network's ipam: the subnets a file fixes
// (`ipam: config: [{subnet: 172.28.0.0/16}]`) are the author's guess at a
// free range on their own host; here they could overlap the host's or
// another stack's networks, so the engine chooses the subnet instead, from
// its pools, and the note says so. The policy still refuses any ipam that
// reaches it (composeNetwork): this step is what makes the file deploy.
//
// A fixed address (ipv4_address, ipv6_address) on a network whose subnet
// the platform chooses cannot be honoured either — the engine refuses it
// without a user-configured subnet, and Compose with it — so it is
// dropped with a note: services reach each other by name, as the file's
// other services do. External networks are the user's own, left as
// written.
func translateIPAM(tr *translation) error {
	p := tr.project
	keys := make([]string, 0, len(p.Networks))
	for k := range p.Networks {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		n := p.Networks[k]
		if n.External {
			continue
		}
		ipam := n.Ipam
		if ipam.Driver == "" && len(ipam.Config) == 0 && len(ipam.Options) == 0 {
			continue
		}
		var subnets []string
		for _, c := range ipam.Config {
			if c != nil && c.Subnet != "" {
				subnets = append(subnets, c.Subnet)
			}
		}
		switch {
		case len(subnets) > 0:
			tr.note("network %s: the subnet %s is chosen by the platform instead (so it never overlaps the host's or another stack's)", k, strings.Join(subnets, ", "))
		default:
			tr.note("network %s: its ipam settings are ignored: the platform chooses the subnet", k)
		}
		n.Ipam.Driver, n.Ipam.Config, n.Ipam.Options = "", nil, nil
		p.Networks[k] = n
	}
	for _, name := range p.ServiceNames() {
		svc := p.Services[name]
		nets := make([]string, 0, len(svc.Networks))
		for k := range svc.Networks {
			nets = append(nets, k)
		}
		sort.Strings(nets)
		for _, k := range nets {
			sn := svc.Networks[k]
			if sn == nil || (sn.Ipv4Address == "" && sn.Ipv6Address == "") {
				continue
			}
			if n, ok := p.Networks[k]; ok && bool(n.External) {
				continue
			}
			for _, a := range []string{sn.Ipv4Address, sn.Ipv6Address} {
				if a != "" {
					tr.note("%s: the fixed address %s on network %s is dropped: the platform chooses addresses; other services reach %s by its name", name, a, k, name)
				}
			}
			sn.Ipv4Address, sn.Ipv6Address = "", ""
		}
		p.Services[name] = svc
	}
	return nil
}
