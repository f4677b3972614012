package stack

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/services/runner/build"
	"github.com/dockeronline/platform/services/runner/policy"
)

var (
	testTenant = policy.Tenant{UserID: "u-1", Username: "alice"}
	testApps   = config.Apps{Domain: "apps.example", URLTemplate: "https://{host}/"}
)

// loadTest loads compose as the runner does (compose-go, paths resolved
// against a project directory holding a Dockerfile for build: contexts).
func loadTest(t *testing.T, stack, compose string) (*types.Project, string) {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{".", "backend", "worker"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, d, "Dockerfile"), []byte("FROM busybox\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, "compose.yaml"), Content: []byte(compose)}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) { o.SetProjectName(testTenant.Username+"--"+stack, true) })
	if err != nil {
		t.Fatal(err)
	}
	return p, dir
}

// translateTest runs the translate steps, normalize and the policy on
// compose for alice's stack, as an up does before Docker is touched.
func translateTest(t *testing.T, stack, compose string) (*types.Project, []string, error) {
	t.Helper()
	p, dir := loadTest(t, stack, compose)
	tr := &translation{project: p, dir: &projectDir{path: dir, archive: build.NewArchive()}, tenant: testTenant, stack: stack, apps: testApps}
	if err := translate(tr); err != nil {
		return p, tr.notes, err
	}
	if err := normalize(p, testTenant, stack, policy.DefaultLimits(), 10*time.Second); err != nil {
		return p, tr.notes, err
	}
	c := identity.Caller{UserID: testTenant.UserID, Username: testTenant.Username, Role: identity.RoleUser}
	return p, tr.notes, policy.New(policy.DefaultLimits()).Compose(c, testTenant, p, dir)
}

func TestPortsBecomeExposedPortsWithNotes(t *testing.T) {
	tests := []struct {
		name    string
		service string // the service checked
		ports   string // its ports: (YAML)
		expose  []string
		notes   []string
	}{
		{name: "one port", service: "web", ports: `["8000:8000"]`, expose: []string{"8000"},
			notes: []string{"web: ports 8000:8000 → https://s-web--alice.apps.example/ (container port 8000)"}},
		{name: "host address", service: "web", ports: `["127.0.0.1:8080:80"]`, expose: []string{"80"},
			notes: []string{"web: ports 127.0.0.1:8080:80 → https://s-web--alice.apps.example/ (container port 80)"}},
		{name: "container port only", service: "web", ports: `["3000"]`, expose: []string{"3000"},
			notes: []string{"web: ports 3000 → https://s-web--alice.apps.example/"}},
		{name: "range: a link per port", service: "web", ports: `["9000-9001:9000-9001"]`, expose: []string{"9000", "9001"},
			notes: []string{"ports 9000:9000 → https://s-web-9000--alice.apps.example/", "ports 9001:9001 → https://s-web-9001--alice.apps.example/"}},
		{name: "udp", service: "web", ports: `["53:53/udp"]`, expose: []string{"53/udp"},
			notes: []string{"web: ports 53:53/udp → reachable from the stack's other services at web:53; not published on the host"}},
		{name: "a database port", service: "web", ports: `["5432:5432"]`, expose: []string{"5432"},
			notes: []string{"web: ports 5432:5432 → reachable from the stack's other services at web:5432"}},
		{name: "http and database: the link names its port", service: "web", ports: `["80:80", "6379:6379"]`, expose: []string{"80", "6379"},
			notes: []string{"ports 80:80 → https://s-web-80--alice.apps.example/", "ports 6379:6379 → reachable"}},
		{name: "long syntax", service: "web", ports: "\n      - target: 80\n        published: \"8080\"\n        host_ip: 0.0.0.0\n        mode: host\n        protocol: tcp",
			expose: []string{"80"}, notes: []string{"web: ports 0.0.0.0:8080:80 → https://s-web--alice.apps.example/"}},
		{name: "app_protocol says http", service: "web", ports: "\n      - target: 443\n        app_protocol: http",
			expose: []string{"443"}, notes: []string{"ports 443 → https://s-web--alice.apps.example/"}},
		{name: "already exposed", service: "web", ports: `["80:80"]`, expose: []string{"80"},
			notes: []string{"https://s-web--alice.apps.example/"}},
		{name: "no network", service: "web", ports: `["80:80", "81"]` + "\n    network_mode: none", expose: []string{},
			notes: []string{"web: ports 80:80, 81 are not reachable with network_mode none; not published on the host"}},
		{name: "many ports: bounded notes", service: "web", ports: `["7000-7019"]`, expose: nil,
			notes: []string{"web: 12 more ports: entries are exposed the same way"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			extra := ""
			if tt.name == "already exposed" {
				extra = "    expose: [\"80\"]\n"
			}
			compose := "services:\n  " + tt.service + ":\n    image: busybox\n    ports: " + tt.ports + "\n" + extra
			p, notes, err := translateTest(t, "s", compose)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			s := p.Services[tt.service]
			if len(s.Ports) != 0 {
				t.Errorf("ports left: %+v", s.Ports)
			}
			if tt.expose != nil && !slices.Equal(s.Expose, tt.expose) && (len(tt.expose) > 0 || len(s.Expose) > 0) {
				t.Errorf("expose %q, want %q", s.Expose, tt.expose)
			}
			if tt.name == "many ports: bounded notes" && (len(s.Expose) != 20 || len(notes) != maxPortNotes+1) {
				t.Errorf("%d exposed, %d notes; want 20 and %d", len(s.Expose), len(notes), maxPortNotes+1)
			}
			for _, want := range tt.notes {
				if !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, want) }) {
					t.Errorf("no note says %q: %q", want, notes)
				}
			}
			// Judged as Compose will send it: exposed, never published, and
			// on the user's network for its web link.
			_, h, err := policy.ServiceContainer(p, s)
			if err != nil {
				t.Fatal(err)
			}
			if len(h.PortBindings) != 0 || h.PublishAllPorts {
				t.Errorf("publishes: %+v", h.PortBindings)
			}
			if _, ok := s.Networks[LinksNetwork]; !ok && s.NetworkMode == "" {
				t.Errorf("not on the links network: %v", s.Networks)
			}
		})
	}
}

// TestPortsLeftArePublishRefusals: the policy never publishes a stack's
// ports, whatever reaches it (a translation bug must not become a host
// port).
func TestPortsLeftAreRefused(t *testing.T) {
	p, dir := loadTest(t, "s", "services:\n  web:\n    image: busybox\n    ports: [\"22:22\"]\n")
	if err := normalize(p, testTenant, "s", policy.DefaultLimits(), time.Second); err != nil {
		t.Fatal(err)
	}
	c := identity.Caller{UserID: testTenant.UserID, Username: testTenant.Username, Role: identity.RoleUser}
	err := policy.New(policy.DefaultLimits()).Compose(c, testTenant, p, dir)
	if ae := apierr.From(err); ae == nil || ae.Rule != policy.RulePublish {
		t.Fatalf("got %v, want a refusal by %s", err, policy.RulePublish)
	}
}

func TestPortSpec(t *testing.T) {
	tests := []struct {
		in   types.ServicePortConfig
		want string
	}{
		{types.ServicePortConfig{Target: 80}, "80"},
		{types.ServicePortConfig{Target: 80, Published: "8080"}, "8080:80"},
		{types.ServicePortConfig{Target: 80, Published: "8080", HostIP: "127.0.0.1"}, "127.0.0.1:8080:80"},
		{types.ServicePortConfig{Target: 80, HostIP: "::1"}, "[::1]::80"},
		{types.ServicePortConfig{Target: 53, Published: "53", Protocol: "udp"}, "53:53/udp"},
		{types.ServicePortConfig{Target: 53, Protocol: "TCP"}, "53"},
	}
	for _, tt := range tests {
		if got := portSpec(tt.in); got != tt.want {
			t.Errorf("portSpec(%+v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
