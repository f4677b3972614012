// Package isolation is the runner's host firewall: tenant networks cannot
// reach one another, and user containers cannot reach the host's own
// listeners. The rules live in the runner's own nftables table (Table),
// which Docker never rewrites, so they hold while Docker re-programs its
// own isolation chains during network churn. The runner installs them at
// start, re-checks them periodically and after every network event, and
// leaves them in place at shutdown: isolation must not depend on the
// runner running.
package isolation

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/services/runner/policy"
)

// Firewall keeps the rules in place.
type Firewall struct {
	docker *client.Client
	nft    nft
	log    *slog.Logger
	check  time.Duration

	mu      sync.Mutex // one install or sync at a time
	bridges []string   // the platform set as last synced

	// buildSubnet is BuildKit's RUN steps' subnet, fenced by BuildTable.
	buildSubnet netip.Prefix
	buildNFT    nft
}

// New returns a firewall; nothing is installed until Ensure or Run.
func New(docker *client.Client, o Options, log *slog.Logger) *Firewall {
	return &Firewall{docker: docker, nft: nft{bin: o.NFT, table: Table}, log: log, check: o.Check,
		buildSubnet: o.BuildSubnet, buildNFT: nft{bin: o.NFT, table: BuildTable}}
}

// Ensure installs the table if it is missing or differs from the ruleset,
// and sets the platform set to the bridges of every platform network
// Docker has now. It is idempotent and safe from several runners at once.
func (f *Firewall) Ensure(ctx context.Context) error {
	bridges, err := f.platformBridges(ctx)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	l, found, err := f.nft.list(ctx)
	if err != nil {
		return err
	}
	if !found || !l.complete() {
		if found {
			f.log.Warn("firewall rules changed outside the runner; reinstalling", "table", f.nft.table)
		}
		if err := f.nft.apply(ctx, script(f.nft.table, bridges)); err != nil {
			return fmt.Errorf("install firewall: %w", err)
		}
	} else if err := f.nft.apply(ctx, setScript(f.nft.table, bridges)); err != nil {
		return fmt.Errorf("update firewall bridges: %w", err)
	}
	f.bridges = bridges
	return f.ensureBuild(ctx)
}

// ifname is what Docker may name a bridge; anything else is not put into
// an nft script.
var ifname = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,15}$`)

// platformBridges lists the bridges of networks with the owner label.
func (f *Firewall) platformBridges(ctx context.Context) ([]string, error) {
	res, err := f.docker.NetworkList(ctx, client.NetworkListOptions{Filters: make(client.Filters).Add("label", policy.LabelOwner)})
	if err != nil {
		return nil, fmt.Errorf("firewall: list networks: %w", err)
	}
	seen := map[string]bool{}
	for _, n := range res.Items {
		if n.Driver != "bridge" {
			continue
		}
		// Prefixed bridges are matched by wildcard already.
		if b := bridgeOf(n.ID, n.Options); ifname.MatchString(b) && !strings.HasPrefix(b, Prefix) {
			seen[b] = true
		}
	}
	out := make([]string, 0, len(seen))
	for b := range seen {
		out = append(out, b)
	}
	sort.Strings(out)
	return out, nil
}

// Run keeps the rules until ctx ends: a check every Options.Check and
// after every network event (a network made outside the runner, with an
// unprefixed bridge, joins the platform set within moments). A failed
// check is logged and retried; the rules already installed stay.
func (f *Firewall) Run(ctx context.Context) error {
	tick := time.NewTicker(f.check)
	defer tick.Stop()
	for ctx.Err() == nil {
		sub, cancel := context.WithCancel(ctx)
		res := f.docker.Events(sub, client.EventsListOptions{Filters: make(client.Filters).
			Add("type", string(events.NetworkEventType)).Add("event", "create", "destroy")})
		f.ensureLogged(ctx) // after subscribing: a change meanwhile is seen again, not missed
	follow:
		for {
			select {
			case <-ctx.Done():
				break follow
			case <-res.Messages:
				drain(res.Messages) // one check for a burst of churn
				f.ensureLogged(ctx)
			case <-tick.C:
				f.ensureLogged(ctx)
			case err := <-res.Err:
				f.log.Warn("firewall: docker event stream ended; resubscribing", "err", err)
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
				break follow
			}
		}
		cancel()
	}
	return nil
}

func drain(ch <-chan events.Message) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

func (f *Firewall) ensureLogged(ctx context.Context) {
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := f.Ensure(c); err != nil && ctx.Err() == nil {
		f.log.Error("firewall check failed", "err", err)
	}
}

// Drops is how many packets the rules dropped since installed: routed
// between bridges (forward) and sent to the host (input). Tests read it to
// prove the drops were this table's, not Docker's.
func (f *Firewall) Drops(ctx context.Context) (forward, input uint64, err error) {
	l, found, err := f.nft.list(ctx)
	if err != nil || !found {
		return 0, 0, fmt.Errorf("firewall table missing: %v", err)
	}
	for _, r := range rules {
		if r.chain == "forward" {
			forward += l.rules[comment(r)]
		} else {
			input += l.rules[comment(r)]
		}
	}
	return forward, input, nil
}
