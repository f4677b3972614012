package isolation

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/dockertest"
)

// TestEnsureKeepsTheBuildTable: with a build subnet, Ensure installs the
// build table (input and forward drops for the subnet), leaves it alone
// when it is whole, and restores it when someone changed it.
func TestEnsureKeepsTheBuildTable(t *testing.T) {
	cli := dockertest.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := testFirewall(t, cli, time.Minute)
	f.buildSubnet = netip.MustParsePrefix("10.213.0.0/16")
	f.buildNFT.table = fmt.Sprintf("dockeronline_buildtest_%d", time.Now().UnixNano()%1e9)
	t.Cleanup(func() { _ = f.buildNFT.apply(context.Background(), "delete table inet "+f.buildNFT.table+"\n") })
	if err := f.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	rs := buildRules(f.buildSubnet)
	first, found, err := f.buildNFT.list(ctx)
	if err != nil || !found || !first.holds(rs) {
		t.Fatalf("after Ensure: found=%v holds=%v err=%v", found, first.holds(rs), err)
	}
	out, err := f.buildNFT.run(ctx, "", "list", "table", "inet", f.buildNFT.table)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ip saddr 10.213.0.0/16 ct state != { established, related }", "ip saddr 10.213.0.0/16 ip daddr 10.213.0.0/16", `oifname { "br-*", "dko*", "docker0" }`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("build table lacks %q:\n%s", want, out)
		}
	}
	if err := f.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if again, _, _ := f.buildNFT.list(ctx); again.handle != first.handle {
		t.Errorf("a second Ensure made the build table anew")
	}
	if err := f.buildNFT.apply(ctx, "flush chain inet "+f.buildNFT.table+" forward\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if l, _, _ := f.buildNFT.list(ctx); !l.holds(rs) {
		t.Errorf("Ensure did not restore the build table")
	}
	fwd, in, err := f.BuildDrops(ctx)
	if err != nil || fwd != 0 || in != 0 {
		t.Errorf("BuildDrops %d %d %v", fwd, in, err)
	}
}

// TestBuildSubnetOption: RUNNER_BUILDKIT_SUBNET is an IPv4 subnet, masked.
func TestBuildSubnetOption(t *testing.T) {
	tests := []struct {
		value, want string
		ok          bool
	}{
		{"", DefaultBuildSubnet, true},
		{"10.99.3.7/24", "10.99.3.0/24", true},
		{"fd00::/64", "", false},
		{"10.0.0.0/30", "", false},
		{"nonsense", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			env := map[string]string{}
			if tt.value != "" {
				env["RUNNER_BUILDKIT_SUBNET"] = tt.value
			}
			o, err := LoadOptions(config.FromMap(env))
			if (err == nil) != tt.ok {
				t.Fatalf("err %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && o.BuildSubnet.String() != tt.want {
				t.Errorf("subnet %s, want %s", o.BuildSubnet, tt.want)
			}
		})
	}
}
