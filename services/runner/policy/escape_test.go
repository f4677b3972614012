package policy_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/policy"
)

// EscapeCase is one host-escape or cross-tenant attempt and the rule that
// must refuse it. The same table drives the API-level test in container/.
type EscapeCase = policy.EscapeCase

var alice = identity.Caller{UserID: "u-alice", Username: "alice", Role: identity.RoleUser}

func engine() *policy.Engine {
	l := policy.DefaultLimits()
	l.PublishMin, l.PublishMax = 20000, 20999
	return policy.New(l)
}

func TestEscapesAreRefusedWithTheirRule(t *testing.T) {
	cases := policy.EscapeCases()
	if len(cases) < 30 {
		t.Fatalf("only %d escape cases; the suite promises at least 30", len(cases))
	}
	e := engine()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			spec := tc.Spec("busybox")
			_, err := e.Container(alice, policy.Tenant{UserID: alice.UserID, Username: alice.Username}, spec, nil)
			var ae *apierr.Error
			if !errors.As(err, &ae) {
				t.Fatalf("accepted (err %v); want rule %s", err, tc.Rule)
			}
			if ae.Rule != tc.Rule {
				t.Fatalf("rule %q (%s), want %q", ae.Rule, ae.Message, tc.Rule)
			}
		})
	}
}

func TestAdminsMayUseHostOptionsButNotExceedLimits(t *testing.T) {
	e := engine()
	admin := identity.Caller{UserID: "u-root", Username: "boss", Role: identity.RoleAdmin}
	ten := policy.Tenant{UserID: admin.UserID, Username: admin.Username}
	ok := msg.ContainerSpec{Name: "x", Image: "busybox", HostConfig: json.RawMessage(`{"Privileged":true}`)}
	if _, err := e.Container(admin, ten, ok, nil); err != nil {
		t.Fatalf("admin privileged refused: %v", err)
	}
	big := msg.ContainerSpec{Name: "x", Image: "busybox", HostConfig: json.RawMessage(`{"Memory":1099511627776}`)}
	if _, err := e.Container(admin, ten, big, nil); apierr.From(err) == nil || apierr.From(err).Rule != policy.RuleMemory {
		t.Fatalf("admin above max memory: %v", err)
	}
}

func TestSafeOptionsPassAndDefaultsApply(t *testing.T) {
	e := engine()
	spec := msg.ContainerSpec{Name: "web", Image: "busybox",
		Ports:      []msg.PortSpec{{Container: 80, Publish: 20080}},
		HostConfig: json.RawMessage(`{"Mounts":[{"Type":"tmpfs","Target":"/tmp"}],"CapAdd":["NET_BIND_SERVICE"],"Init":true}`)}
	p, err := e.Container(alice, policy.Tenant{UserID: alice.UserID, Username: alice.Username}, spec, nil)
	if err != nil {
		t.Fatalf("safe spec refused: %v", err)
	}
	h := p.Host
	if string(h.NetworkMode) != "alice--default" || h.Memory != 256<<20 || *h.PidsLimit != 256 || h.LogConfig.Config["max-size"] != "10m" {
		t.Fatalf("defaults not applied: %+v", h)
	}
	if len(h.SecurityOpt) != 1 || h.SecurityOpt[0] != "no-new-privileges:true" {
		t.Fatalf("no-new-privileges missing: %v", h.SecurityOpt)
	}
	if p.Config.Labels[policy.LabelMemory] != "268435456" {
		t.Fatalf("limit labels: %v", p.Config.Labels)
	}
}
