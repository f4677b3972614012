package stack

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/services/runner/policy"
)

// TestTranslateIPAM: a file's subnets and fixed addresses give way to the
// platform's, each with a note; external networks are left as written;
// a file without ipam gets no note.
func TestTranslateIPAM(t *testing.T) {
	cases := []struct {
		name, compose string
		notes         []string
		keepAddr      bool
	}{
		{name: "subnet and address", compose: `services:
  web:
    image: busybox
    networks:
      backend:
        ipv4_address: 172.28.0.10
networks:
  backend:
    ipam:
      config:
        - subnet: 172.28.0.0/16
          gateway: 172.28.0.1
`, notes: []string{"network backend: the subnet 172.28.0.0/16 is chosen by the platform", "web: the fixed address 172.28.0.10 on network backend is dropped"}},
		{name: "driver and options only", compose: `services:
  web:
    image: busybox
    networks: [n]
networks:
  n:
    ipam:
      driver: default
      options: {foo: bar}
`, notes: []string{"network n: its ipam settings are ignored"}},
		{name: "external network kept", compose: `services:
  web:
    image: busybox
    networks:
      shared:
        ipv4_address: 10.5.0.3
networks:
  shared:
    external: true
`, keepAddr: true},
		{name: "none", compose: "services:\n  web:\n    image: busybox\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeProject(t, nil)
			p, err := loadProject(context.Background(), dir, "p", []byte(c.compose), nil)
			if err != nil {
				t.Fatal(err)
			}
			tr := &translation{project: p, dir: dir}
			if err := translateIPAM(tr); err != nil {
				t.Fatal(err)
			}
			if len(tr.notes) != len(c.notes) {
				t.Fatalf("notes %q, want %d", tr.notes, len(c.notes))
			}
			for i, n := range c.notes {
				if !strings.Contains(tr.notes[i], n) {
					t.Errorf("note %q, want %q", tr.notes[i], n)
				}
			}
			for k, n := range p.Networks {
				if !n.External && (len(n.Ipam.Config) > 0 || len(n.Ipam.Options) > 0 || n.Ipam.Driver != "") {
					t.Errorf("network %s keeps ipam %+v", k, n.Ipam)
				}
			}
			for _, sn := range p.Services["web"].Networks {
				if sn != nil && (sn.Ipv4Address != "") != c.keepAddr {
					t.Errorf("address %q, keep=%v", sn.Ipv4Address, c.keepAddr)
				}
			}
		})
	}
}

// TestPolicyStillRefusesIPAM: a project whose ipam was not translated (a
// step skipped, a path around translate) is refused by the policy, as
// before: the translation is what makes files deploy, not what keeps the
// host safe.
func TestPolicyStillRefusesIPAM(t *testing.T) {
	dir := writeProject(t, nil)
	p, err := loadProject(context.Background(), dir, "alice--lan", []byte("services:\n  web:\n    image: busybox:latest\n    networks: [lan]\nnetworks:\n  lan:\n    ipam:\n      config:\n        - subnet: 192.168.1.0/24\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	alice := identity.Caller{UserID: "u-alice", Username: "alice", Role: identity.RoleUser}
	tenant := policy.Tenant{UserID: alice.UserID, Username: alice.Username}
	lim := policy.DefaultLimits()
	if err := normalize(p, tenant, "lan", lim, time.Second); err != nil {
		t.Fatal(err)
	}
	err = policy.New(lim).Compose(alice, tenant, p, dir.path)
	if ae := apierr.From(err); ae == nil || ae.Rule != policy.RuleNetwork || !strings.Contains(ae.Message, "address management") {
		t.Fatalf("got %v, want a refusal by %s", err, policy.RuleNetwork)
	}
}
