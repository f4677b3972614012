package container_test

import (
	"context"
	"encoding/json"
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

// kernelProbe prints which kernel answers the container's system calls:
// gVisor's dmesg starts with "Starting gVisor..."; under runc an
// unprivileged dmesg is refused by the host kernel.
const kernelProbe = `cat /proc/version; dmesg 2>&1 | head -n 2; echo probe-done; sleep 600`

func probeSpec(name, image string, hostConfig string) msg.ContainerSpec {
	s := msg.ContainerSpec{Name: name, Image: image, Cmd: []string{"sh", "-c", kernelProbe}}
	if hostConfig != "" {
		s.HostConfig = json.RawMessage(hostConfig)
	}
	return s
}

// runsUnder checks the container's runtime in Docker and from inside it.
func runsUnder(t *testing.T, h *harness, c msg.Container, runtime string) {
	t.Helper()
	in, err := h.cli.ContainerInspect(context.Background(), c.ID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := in.Container.HostConfig.Runtime; got != runtime {
		t.Errorf("%s: HostConfig.Runtime %q, want %q", c.Name, got, runtime)
	}
	wantPids := policy.DefaultLimits().PidsLimit
	if runtime == policy.RuntimeRunsc {
		wantPids = policy.DefaultLimits().RunscPidsLimit
	}
	if pl := in.Container.HostConfig.PidsLimit; pl == nil || *pl != wantPids {
		t.Errorf("%s: pids limit %v under %s, want %d", c.Name, pl, runtime, wantPids)
	}
	out := dockertest.WaitLogs(t, h.cli, c.ID, "probe-done")
	if gvisor := strings.Contains(out, "Starting gVisor"); gvisor != (runtime == policy.RuntimeRunsc) {
		t.Errorf("%s: runtime %s but the kernel inside says: %q", c.Name, runtime, out)
	}
}

func setRuntime(t *testing.T, h *harness, admin identity.Caller, user, runtime string) (msg.Usage, error) {
	t.Helper()
	return call[msg.Usage](h, admin, subjects.QuotaSet, msg.QuotaSetRequest{UserID: user, Runtime: &runtime})
}

// TestRuntimeIsChosenByAdminsNotUsers: on a runc platform an admin moves
// one user to gVisor through the quota API; that user's containers then
// really run under runsc (Docker's HostConfig and the kernel seen inside),
// another user's do not, and no user can pick a runtime — not even the
// stronger one — except the one the policy sets anyway.
func TestRuntimeIsChosenByAdminsNotUsers(t *testing.T) {
	h := setup(t)
	admin := runnertest.NewUser(t, h.cli, identity.RoleAdmin)
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	bob := runnertest.NewUser(t, h.cli, identity.RoleUser)

	u, err := setRuntime(t, h, admin, alice.UserID, policy.RuntimeRunsc)
	if err != nil || u.Quota.Runtime != policy.RuntimeRunsc {
		t.Fatalf("admin sets alice's runtime: %+v, %v", u, err)
	}
	if u, err := call[msg.Usage](h, bob, subjects.UsageGet, msg.UsageRequest{}); err != nil || u.Quota.Runtime != policy.RuntimeRunc {
		t.Fatalf("bob's usage shows runtime %q (%v), want the default runc", u.Quota.Runtime, err)
	}

	create := func(c identity.Caller, spec msg.ContainerSpec) (msg.Container, error) {
		return call[msg.Container](h, c, subjects.ContainerCreate, msg.ContainerCreate{Spec: spec})
	}
	a, err := create(alice, probeSpec("probe", h.image, ""))
	if err != nil {
		t.Fatalf("alice create: %v", err)
	}
	runsUnder(t, h, a, policy.RuntimeRunsc)
	b, err := create(bob, probeSpec("probe", h.image, ""))
	if err != nil {
		t.Fatalf("bob create: %v", err)
	}
	runsUnder(t, h, b, policy.RuntimeRunc)

	refusals := []struct {
		name string
		who  identity.Caller
		hc   string
	}{
		{"runsc user asks runc", alice, `{"Runtime":"runc"}`},
		{"runc user asks runsc", bob, `{"Runtime":"runsc"}`},
		{"runsc user asks another runtime", alice, `{"Runtime":"io.containerd.runc.v2"}`},
		{"runc user asks another runtime", bob, `{"Runtime":"nvidia"}`},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			_, err := create(tc.who, probeSpec("asks", h.image, tc.hc))
			if ae := apierr.From(err); ae == nil || ae.Rule != policy.RuleRuntime {
				t.Fatalf("got %v, want rule %s", err, policy.RuleRuntime)
			}
		})
	}
	// Asking for the runtime the policy sets anyway changes nothing.
	same, err := create(alice, probeSpec("same", h.image, `{"Runtime":"runsc"}`))
	if err != nil {
		t.Fatalf("alice asks runsc, her own runtime: %v", err)
	}
	runsUnder(t, h, same, policy.RuntimeRunsc)

	// Only admins set it, only to a runtime the engine has.
	_, err = setRuntime(t, h, alice, alice.UserID, policy.RuntimeRunc)
	assertCode(t, "a user sets her own runtime", err, apierr.CodeForbidden)
	for _, bad := range []string{"nvidia", "RUNSC", "/usr/bin/runsc"} {
		_, err = setRuntime(t, h, admin, bob.UserID, bad)
		assertCode(t, "admin sets runtime "+bad, err, apierr.CodeInvalid)
	}

	// Back to the default: alice's next container runs under runc.
	if u, err := setRuntime(t, h, admin, alice.UserID, ""); err != nil || u.Quota.Runtime != policy.RuntimeRunc {
		t.Fatalf("admin returns alice to the default: %+v, %v", u, err)
	}
	again, err := create(alice, probeSpec("again", h.image, ""))
	if err != nil {
		t.Fatalf("alice create after reset: %v", err)
	}
	runsUnder(t, h, again, policy.RuntimeRunc)
}
