package policy_test

import (
	"encoding/json"
	"testing"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/policy"
)

// TestRuntimeIsThePlatformsChoice: the runtime comes from the platform
// default (RUNNER_RUNTIME) or the user's admin-set runtime, never from the
// user; asking for the runtime the policy sets anyway is harmless.
func TestRuntimeIsThePlatformsChoice(t *testing.T) {
	admin := identity.Caller{UserID: "u-root", Username: "boss", Role: identity.RoleAdmin}
	cases := []struct {
		name     string
		def      string // RUNNER_RUNTIME
		tenant   string // set by an admin
		caller   identity.Caller
		asked    string // raw host_config Runtime
		want     string // HostConfig.Runtime Docker receives
		wantRule string
	}{
		{name: "default runc", def: "runc", caller: alice, want: "runc"},
		{name: "default runsc", def: "runsc", caller: alice, want: "runsc"},
		{name: "no default configured is runc", caller: alice, want: "runc"},
		{name: "admin gave the user runsc", def: "runc", tenant: "runsc", caller: alice, want: "runsc"},
		{name: "admin gave the user runc on a runsc platform", def: "runsc", tenant: "runc", caller: alice, want: "runc"},
		{name: "asks what the policy sets", def: "runsc", caller: alice, asked: "runsc", want: "runsc"},
		{name: "asks runc on a runsc platform", def: "runsc", caller: alice, asked: "runc", wantRule: policy.RuleRuntime},
		{name: "runsc user asks runc", def: "runc", tenant: "runsc", caller: alice, asked: "runc", wantRule: policy.RuleRuntime},
		{name: "runc user asks runsc", def: "runc", caller: alice, asked: "runsc", wantRule: policy.RuleRuntime},
		{name: "asks another runtime", def: "runsc", caller: alice, asked: "nvidia", wantRule: policy.RuleRuntime},
		{name: "asks a path", def: "runc", caller: alice, asked: "/usr/bin/runc", wantRule: policy.RuleRuntime},
		{name: "admin keeps the runtime named", def: "runsc", caller: admin, asked: "runc", want: "runc"},
		{name: "admin without one gets the policy's", def: "runsc", caller: admin, want: "runsc"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := policy.DefaultLimits()
			l.Runtime = tc.def
			e := policy.New(l)
			ten := policy.Tenant{UserID: tc.caller.UserID, Username: tc.caller.Username, Runtime: tc.tenant}
			spec := msg.ContainerSpec{Name: "x", Image: "busybox"}
			if tc.asked != "" {
				raw, _ := json.Marshal(map[string]string{"Runtime": tc.asked})
				spec.HostConfig = raw
			}
			p, err := e.Container(tc.caller, ten, spec, nil)
			if tc.wantRule != "" {
				if ae := apierr.From(err); ae == nil || ae.Rule != tc.wantRule {
					t.Fatalf("got %v, want rule %s", err, tc.wantRule)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if p.Host.Runtime != tc.want {
				t.Fatalf("runtime %q, want %q", p.Host.Runtime, tc.want)
			}
			// Under runsc the pids limit counts the sandbox's host tasks.
			wantPids := l.PidsLimit
			if tc.want == policy.RuntimeRunsc {
				wantPids = l.RunscPidsLimit
			}
			if p.Host.PidsLimit == nil || *p.Host.PidsLimit != wantPids {
				t.Fatalf("pids limit %v under %s, want %d", p.Host.PidsLimit, tc.want, wantPids)
			}
		})
	}
}

// TestAdmitRefusesRuntimesThePolicyNeverSets: whatever path built the
// host config, Admit lets users through only with runc, runsc or none.
func TestAdmitRefusesRuntimesThePolicyNeverSets(t *testing.T) {
	ten := policy.Tenant{UserID: alice.UserID, Username: alice.Username}
	for _, rt := range []struct {
		name string
		ok   bool
	}{{"", true}, {"runc", true}, {"runsc", true}, {"nvidia", false}, {"io.containerd.runc.v2", false}, {"RUNSC", false}, {"kata", false}} {
		t.Run("runtime "+rt.name, func(t *testing.T) {
			e := engine()
			spec := msg.ContainerSpec{Name: "x", Image: "busybox"}
			p, err := e.Container(identity.Caller{UserID: "u-root", Username: "boss", Role: identity.RoleAdmin}, ten, spec, nil)
			if err != nil {
				t.Fatal(err)
			}
			p.Host.Runtime = rt.name
			// The pids limit depends on the runtime: bound again, as
			// every path does after the runtime is set.
			if err := e.Bound(p.Host); err != nil {
				t.Fatal(err)
			}
			err = e.Admit(alice, ten, p.Config, p.Host)
			if rt.ok != (err == nil) {
				t.Fatalf("admit runtime %q: %v", rt.name, err)
			}
			if err != nil && apierr.From(err).Rule != policy.RuleRuntime {
				t.Fatalf("rule %q, want %s", apierr.From(err).Rule, policy.RuleRuntime)
			}
		})
	}
}

func TestValidRuntime(t *testing.T) {
	for name, ok := range map[string]bool{"runc": true, "runsc": true, "": false, "nvidia": false, "runsc ": false} {
		if (policy.ValidRuntime(name) == nil) != ok {
			t.Errorf("ValidRuntime(%q) = %v, want ok %v", name, policy.ValidRuntime(name), ok)
		}
	}
}
