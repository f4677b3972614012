package stack_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/runner/policy"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// probeStack is one service that prints which kernel answers it (gVisor's
// dmesg starts with "Starting gVisor..."); %[2]s adds service keys.
const probeStack = `services:
  probe:
    image: %[1]s
    command: ["sh", "-c", "trap 'exit 0' TERM; dmesg 2>&1 | head -n 2; echo probe-done; sleep 600 & wait"]
%[2]s`

// TestStackRunsUnderTheUsersRuntime: a stack's containers get the runtime
// the policy gives their owner (an admin moved alice to gVisor; bob keeps
// the default), seen in Docker and from inside; a compose runtime: other
// than that one is refused before anything is made.
func TestStackRunsUnderTheUsersRuntime(t *testing.T) {
	h := setup(t)
	admin := runnertest.NewUser(t, h.cli, identity.RoleAdmin)
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	bob := runnertest.NewUser(t, h.cli, identity.RoleUser)
	runsc := policy.RuntimeRunsc
	if _, err := call[msg.Usage](t, h, admin, subjects.QuotaSet, msg.QuotaSetRequest{UserID: alice.UserID, Runtime: &runsc}); err != nil {
		t.Fatalf("admin sets alice's runtime: %v", err)
	}

	for _, tc := range []struct {
		who     identity.Caller
		extra   string
		runtime string
	}{
		{alice, "", policy.RuntimeRunsc},
		{alice, "    runtime: runsc\n", policy.RuntimeRunsc}, // the one the policy sets anyway
		{bob, "", policy.RuntimeRunc},
	} {
		started, err := call[msg.JobStarted](t, h, tc.who, subjects.StackUp, msg.StackUpRequest{Name: "gv", Compose: fmt.Sprintf(probeStack, h.image, tc.extra)})
		if err != nil {
			t.Fatalf("%s up: %v", tc.who.Username, err)
		}
		evs := finish(t, h, started.Job.ID)
		if last := evs[len(evs)-1]; last.Type != msg.JobEventDone {
			t.Fatalf("%s up failed: %+v", tc.who.Username, last.Error)
		}
		name := tc.who.Username + "--gv-probe"
		in, err := h.cli.ContainerInspect(context.Background(), name, client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := in.Container.HostConfig.Runtime; got != tc.runtime {
			t.Errorf("%s: runtime %q, want %q", name, got, tc.runtime)
		}
		out := dockertest.WaitLogs(t, h.cli, in.Container.ID, "probe-done")
		if strings.Contains(out, "Starting gVisor") != (tc.runtime == policy.RuntimeRunsc) {
			t.Errorf("%s: runtime %s but the kernel inside says %q", name, tc.runtime, out)
		}
		if _, err := call[msg.StackDownResult](t, h, tc.who, subjects.StackDown, msg.StackRef{Name: "gv"}); err != nil {
			t.Fatalf("down: %v", err)
		}
	}

	for _, tc := range []struct {
		name  string
		who   identity.Caller
		extra string
	}{
		{"runsc user asks runc", alice, "    runtime: runc\n"},
		{"runc user asks runsc", bob, "    runtime: runsc\n"},
		{"another runtime", bob, "    runtime: io.containerd.runc.v2\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := call[msg.JobStarted](t, h, tc.who, subjects.StackUp, msg.StackUpRequest{Name: "asks", Compose: fmt.Sprintf(probeStack, h.image, tc.extra)})
			if ae := apierr.From(err); ae == nil || ae.Rule != policy.RuleRuntime {
				t.Fatalf("got %v, want rule %s", err, policy.RuleRuntime)
			}
			if cs, ns, vs := owned(t, h, tc.who.UserID, "asks"); len(cs)+len(ns)+len(vs) > 0 {
				t.Errorf("refused stack left containers %v networks %v volumes %v", cs, ns, vs)
			}
		})
	}
}
