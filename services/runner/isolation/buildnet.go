package isolation

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
)

// BuildTable is the nftables table that fences standalone BuildKit's RUN
// steps (RUNNER_BUILDKIT_SUBNET). It is a table of its own, beside Table,
// so that runners with and without BuildKit (a rolling upgrade, other
// nodes) keep one identical Table each and never reinstall it over one
// another; a drop in any base chain is final, whichever table holds it.
const BuildTable = Table + "-build"

// buildRules fence the subnet BuildKit's CNI config hands RUN steps (one
// point-to-point veth per step, so even two steps' traffic is routed
// through the host and seen here):
//
//   - input: a RUN step opens nothing on the host, at any of its addresses
//     (the veth's gateway, eth0, docker0, published ports served by
//     docker-proxy, 0.0.0.0 listeners). Replies to what the host opened
//     pass; CNI needs nothing else (host-local IPAM, no DHCP).
//   - forward to a Docker bridge: no RUN step reaches a container, of any
//     tenant, also not through a published port (DNAT happens before
//     forward, so the packet leaves on the container's bridge).
//   - forward within the subnet: concurrent RUN steps of different users
//     cannot reach one another.
//
// What remains is the way out (masqueraded), as a classic build has.
func buildRules(subnet netip.Prefix) []rule {
	s := subnet.String()
	return []rule{
		{"input", "build-in", `ip saddr ` + s + ` ct state != { established, related } counter drop`},
		{"forward", "build-to-bridge", `ip saddr ` + s + ` oifname ` + anyBridge + ` counter drop`},
		{"forward", "build-to-build", `ip saddr ` + s + ` ip daddr ` + s + ` counter drop`},
	}
}

// buildScript replaces the build table whole, atomically, as script does.
func buildScript(table string, rs []rule) string {
	var b strings.Builder
	fmt.Fprintf(&b, "table inet %s\ndelete table inet %s\ntable inet %s {\n", table, table, table)
	for _, c := range chains {
		fmt.Fprintf(&b, "\tchain %s {\n\t\ttype filter hook %s priority %s; policy accept;\n", c, c, priority)
		for _, r := range rs {
			if r.chain == c {
				fmt.Fprintf(&b, "\t\t%s comment %q\n", r.text, comment(r))
			}
		}
		b.WriteString("\t}\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// holds reports whether l is exactly the chains and rules rs (see complete).
func (l listed) holds(rs []rule) bool {
	if len(l.chains) != len(chains) || len(l.rules) != len(rs) {
		return false
	}
	for _, c := range chains {
		got, ok := l.chains[c]
		if !ok || got.Hook != c || got.Prio != -1 || got.Policy != "accept" {
			return false
		}
	}
	for _, r := range rs {
		if _, ok := l.rules[comment(r)]; !ok {
			return false
		}
	}
	return true
}

// ensureBuild installs the build table if it is missing or differs.
func (f *Firewall) ensureBuild(ctx context.Context) error {
	if !f.buildSubnet.IsValid() {
		return nil
	}
	rs := buildRules(f.buildSubnet)
	l, found, err := f.buildNFT.list(ctx)
	if err != nil {
		return err
	}
	if found && l.holds(rs) {
		return nil
	}
	if found {
		f.log.Warn("build firewall rules changed outside the runner; reinstalling", "table", f.buildNFT.table)
	}
	if err := f.buildNFT.apply(ctx, buildScript(f.buildNFT.table, rs)); err != nil {
		return fmt.Errorf("install build firewall: %w", err)
	}
	return nil
}

// BuildDrops is how many packets from RUN steps the build table dropped:
// to the host (input) and to containers or other steps (forward).
func (f *Firewall) BuildDrops(ctx context.Context) (forward, input uint64, err error) {
	l, found, err := f.buildNFT.list(ctx)
	if err != nil || !found {
		return 0, 0, fmt.Errorf("build firewall table missing: %v", err)
	}
	for _, r := range buildRules(f.buildSubnet) {
		if r.chain == "forward" {
			forward += l.rules[comment(r)]
		} else {
			input += l.rules[comment(r)]
		}
	}
	return forward, input, nil
}
