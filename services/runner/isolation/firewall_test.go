package isolation

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/services/runner/policy"
)

// TestEnsureKeepsTheRules: Ensure is idempotent (a second run leaves the
// table as it is, counters included), lists the bridge of a platform
// network Docker named itself (one made before bridges were prefixed), and
// replaces a table someone changed.
func TestEnsureKeepsTheRules(t *testing.T) {
	cli := dockertest.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f := testFirewall(t, cli, time.Minute)
	if err := f.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	first, found, err := f.nft.list(ctx)
	if err != nil || !found || !first.complete() {
		t.Fatalf("after Ensure: found=%v complete=%v err=%v", found, first.complete(), err)
	}

	// A platform network with Docker's own bridge name.
	name := "isolation-legacy-" + time.Now().Format("150405.000000")
	res, err := cli.NetworkCreate(ctx, name, client.NetworkCreateOptions{Driver: "bridge", Labels: map[string]string{policy.LabelOwner: "test-isolation"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = cli.NetworkRemove(context.Background(), res.ID, client.NetworkRemoveOptions{}) })
	if err := f.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	again, _, err := f.nft.list(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again.handle != first.handle {
		t.Errorf("a second Ensure made the table anew (handle %d, was %d)", again.handle, first.handle)
	}
	elems, err := f.nft.run(ctx, "", "list", "set", "inet", f.nft.table, "platform")
	if err != nil {
		t.Fatal(err)
	}
	if br := "br-" + res.ID[:12]; !strings.Contains(string(elems), `"`+br+`"`) {
		t.Errorf("bridge %s of platform network %s is not in the platform set:\n%s", br, name, elems)
	}

	// Tampering: an extra rule in our chain, then a deleted one.
	for _, tamper := range []string{
		"add rule inet " + f.nft.table + " input counter comment \"tamper\"",
		"delete rule inet " + f.nft.table + " forward handle " + handleOf(t, f, "forward"),
	} {
		if err := f.nft.apply(ctx, tamper+"\n"); err != nil {
			t.Fatal(err)
		}
		if l, _, _ := f.nft.list(ctx); l.complete() {
			t.Fatalf("tampering %q left the table complete", tamper)
		}
		if err := f.Ensure(ctx); err != nil {
			t.Fatal(err)
		}
		if l, _, _ := f.nft.list(ctx); !l.complete() {
			t.Errorf("Ensure did not restore the table after %q", tamper)
		}
	}
}

// handleOf is the handle of the first rule of chain.
func handleOf(t *testing.T, f *Firewall, chain string) string {
	out, err := f.nft.run(context.Background(), "", "-a", "list", "chain", "inet", f.nft.table, chain)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if i := strings.Index(l, "# handle "); i > 0 && strings.Contains(l, "drop") {
			return strings.TrimSpace(l[i+len("# handle "):])
		}
	}
	t.Fatalf("no rule in chain %s:\n%s", chain, out)
	return ""
}

// TestScriptIsOneTransaction: the ruleset replaces the table whole and
// quotes every bridge; the set update touches only the set.
func TestScriptIsOneTransaction(t *testing.T) {
	tests := []struct {
		name    string
		bridges []string
		want    []string
	}{
		{"no legacy bridges", nil, []string{"delete table inet dockeronline", "set platform {", `iifname "dko*"`}},
		{"legacy bridges", []string{"br-b", "br-a"}, []string{`elements = { "br-a", "br-b" }`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := script(Table, tt.bridges)
			for _, w := range tt.want {
				if !strings.Contains(s, w) {
					t.Errorf("script lacks %q:\n%s", w, s)
				}
			}
			if n := strings.Count(s, "comment \""+Table+":"); n != len(rules) {
				t.Errorf("%d marked rules, want %d", n, len(rules))
			}
			set := setScript(Table, tt.bridges)
			if strings.Contains(set, "table") && !strings.HasPrefix(set, "flush set") || slices.Contains(strings.Fields(set), "delete") {
				t.Errorf("set update touches more than the set: %q", set)
			}
		})
	}
}

// TestRunFollowsNetworkEvents: with Run going, a platform network made
// outside the runner (an unprefixed bridge) joins the platform set within
// moments of Docker's event, long before the periodic check.
func TestRunFollowsNetworkEvents(t *testing.T) {
	cli := dockertest.Client(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	f := testFirewall(t, cli, time.Hour)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	name := "isolation-event-" + time.Now().Format("150405.000000")
	res, err := cli.NetworkCreate(ctx, name, client.NetworkCreateOptions{Driver: "bridge", Labels: map[string]string{policy.LabelOwner: "test-isolation"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = cli.NetworkRemove(context.Background(), res.ID, client.NetworkRemoveOptions{}) })
	br := `"br-` + res.ID[:12] + `"`
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := f.nft.run(ctx, "", "list", "set", "inet", f.nft.table, "platform")
		if err == nil && strings.Contains(string(out), br) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("bridge %s not in the platform set 20s after its network was made: %s %v", br, out, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestCollectorReportsDrops: the drop counters of both chains are
// exported, as the table holds them.
func TestCollectorReportsDrops(t *testing.T) {
	cli := dockertest.Client(t)
	f := testFirewall(t, cli, time.Minute)
	if err := f.Ensure(t.Context()); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(f.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	chains := map[string]bool{}
	for _, mf := range mfs {
		if mf.GetName() != "dockeronline_firewall_dropped_packets" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				chains[l.GetName()+"="+l.GetValue()] = true
			}
		}
	}
	if !chains["chain=forward"] || !chains["chain=input"] || len(chains) != 2 {
		t.Fatalf("series %v, want chain=forward and chain=input", chains)
	}
}

// testFirewall keeps a table of its own (same rules, so harmless), removed
// when the test ends: tampering with it cannot disturb, or be repaired by,
// the runners of tests running meanwhile.
func testFirewall(t *testing.T, cli *client.Client, check time.Duration) *Firewall {
	f := New(cli, Options{NFT: "nft", Check: check}, slog.Default())
	f.nft.table = fmt.Sprintf("dockeronline_test_%d", time.Now().UnixNano()%1e9)
	t.Cleanup(func() { _ = f.nft.apply(context.Background(), "delete table inet "+f.nft.table+"\n") })
	return f
}
