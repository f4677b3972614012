package stack_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/runner/isolation"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// TestStackNetworksCountInTheQuota: a stack whose networks would take the
// user past the network quota fails before Compose creates anything; one
// that fits is deployed, on a bridge the host firewall matches by prefix.
func TestStackNetworksCountInTheQuota(t *testing.T) {
	h := setup(t, map[string]string{"RUNNER_QUOTA_NETWORKS": "1"})
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	up := func(compose string) msg.JobEvent {
		t.Helper()
		started, err := call[msg.JobStarted](t, h, alice, subjects.StackUp, msg.StackUpRequest{Name: "nq", Compose: compose})
		if err != nil {
			t.Fatalf("up: %v", err)
		}
		evs := finish(t, h, started.Job.ID)
		return evs[len(evs)-1]
	}
	svc := fmt.Sprintf("services:\n  a:\n    image: %s\n    command: [\"sleep\", \"3600\"]\n    stop_grace_period: 1s\n    networks: [%%s]\nnetworks:\n%%s", h.image)
	two := fmt.Sprintf(svc, "front, back", "  front: {}\n  back: {}\n")
	if last := up(two); last.Type != msg.JobEventError || last.Error.Code != apierr.CodeQuota || last.Error.Rule != "quota" || !strings.Contains(last.Error.Message, "network") {
		t.Fatalf("two networks over a quota of one: %+v", last.Error)
	}
	if cs, ns, vs := owned(t, h, alice.UserID, "nq"); len(cs)+len(ns)+len(vs) != 0 {
		t.Errorf("the refused up left containers %v networks %v volumes %v", cs, ns, vs)
	}
	one := fmt.Sprintf(svc, "front", "  front: {}\n")
	if last := up(one); last.Type != msg.JobEventDone {
		t.Fatalf("one network: %+v", last.Error)
	}
	_, ns, _ := owned(t, h, alice.UserID, "nq")
	if len(ns) != 1 {
		t.Fatalf("networks %v, want one", ns)
	}
	in, err := h.cli.NetworkInspect(t.Context(), ns[0], client.NetworkInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b := in.Network.Options[isolation.BridgeNameOption]; !strings.HasPrefix(b, isolation.Prefix) {
		t.Errorf("stack network %s has bridge %q, want the %s prefix", ns[0], b, isolation.Prefix)
	}
	if _, err := call[msg.StackDownResult](t, h, alice, subjects.StackDown, msg.StackRef{Name: "nq", Volumes: true}); err != nil {
		t.Fatal(err)
	}
}
