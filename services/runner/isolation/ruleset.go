package isolation

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
)

// Table is the runner's own nftables table. Docker (20.10, iptables) never
// touches it: it rewrites DOCKER-ISOLATION-STAGE-1/2 in the ip filter table
// on every network create and remove, which is why isolation lives here.
const Table = "dockeronline"

// anyBridge matches every Docker bridge: the platform's, Docker's default
// names ("br-…") and the default bridge.
const anyBridge = `{ "` + Prefix + `*", "br-*", "docker0" }`

// rule is one line of a base chain; its comment marks it as ours so a
// re-check can tell whether the table still holds every rule.
type rule struct{ chain, id, text string }

// rules, in order. A drop in any base chain is final, so these hold
// whatever Docker's own chains (priority filter, after ours) say.
//
//   - forward: a packet routed from one bridge to another, where either
//     belongs to the platform, is dropped. "fib daddr . iif oif missing"
//     means the destination is not on the bridge it came in on, so
//     traffic within one bridge (same network, also hairpin through a
//     published port) passes, and so does traffic to and from the outside
//     (the outgoing interface is not a bridge). Only unicast: the kernel
//     routes nothing else (ip_forward drops other packet types), while
//     multicast and broadcast within one bridge, which a route lookup
//     would not place on it, must pass.
//   - input: new connections from a platform bridge to the host itself
//     (any of its addresses, also 0.0.0.0 listeners: Kratos, NATS,
//     Postgres, metrics, node exporter) are dropped. Replies to
//     connections the host opened (the proxy to an app) pass.
var rules = []rule{
	{"forward", "fwd-from-prefixed", `iifname "` + Prefix + `*" oifname ` + anyBridge + ` meta pkttype host fib daddr . iif oif missing counter drop`},
	{"forward", "fwd-from-listed", `iifname @platform oifname ` + anyBridge + ` meta pkttype host fib daddr . iif oif missing counter drop`},
	{"forward", "fwd-to-prefixed", `iifname ` + anyBridge + ` oifname "` + Prefix + `*" meta pkttype host fib daddr . iif oif missing counter drop`},
	{"forward", "fwd-to-listed", `iifname ` + anyBridge + ` oifname @platform meta pkttype host fib daddr . iif oif missing counter drop`},
	{"input", "in-prefixed", `iifname "` + Prefix + `*" ct state != { established, related } counter drop`},
	{"input", "in-listed", `iifname @platform ct state != { established, related } counter drop`},
}

// chains are the base chains, hooked just before Docker's filter chains.
var chains = []string{"forward", "input"}

const priority = "filter - 1"

// comment marks a rule as ours, with a hash of its text: a runner whose
// rules differ (an upgrade) finds the table changed and replaces it.
func comment(r rule) string {
	sum := sha256.Sum256([]byte(r.chain + "\x00" + r.text))
	return Table + ":" + r.id + ":" + hex.EncodeToString(sum[:4])
}

// script is an nft transaction that replaces the table whole: creating it
// first makes the delete valid when it is missing, and nft applies the
// file atomically, so there is no instant without rules. bridges are the
// platform's bridges without the prefix (networks made before bridges
// were named), the "platform" set.
func script(table string, bridges []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "table inet %s\ndelete table inet %s\ntable inet %s {\n", table, table, table)
	b.WriteString("\tset platform {\n\t\ttype ifname\n")
	if len(bridges) > 0 {
		fmt.Fprintf(&b, "\t\telements = { %s }\n", quoted(bridges))
	}
	b.WriteString("\t}\n")
	for _, c := range chains {
		fmt.Fprintf(&b, "\tchain %s {\n\t\ttype filter hook %s priority %s; policy accept;\n", c, c, priority)
		for _, r := range rules {
			if r.chain == c {
				fmt.Fprintf(&b, "\t\t%s comment %q\n", r.text, comment(r))
			}
		}
		b.WriteString("\t}\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// setScript replaces the platform set's elements in one transaction.
func setScript(table string, bridges []string) string {
	s := fmt.Sprintf("flush set inet %s platform\n", table)
	if len(bridges) > 0 {
		s += fmt.Sprintf("add element inet %s platform { %s }\n", table, quoted(bridges))
	}
	return s
}

func quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = `"` + n + `"`
	}
	sort.Strings(q)
	return strings.Join(q, ", ")
}
