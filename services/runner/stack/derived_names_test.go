package stack

import (
	"strings"
	"testing"

	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/runner/policy"
)

// TestDerivedNamesFit: stacks named after their folder with the names
// real files use deploy; every derived name is a valid platform name (so
// its link label is one DNS label), kept as "<stack>-<key>" where that
// fits, labelled with the file's name where not, the same on every
// deploy, and never shared by two keys.
func TestDerivedNamesFit(t *testing.T) {
	stack24 := "my-very-long-stack-name1" // 24 characters, the form's maximum
	tests := []struct {
		name, stack, compose string
		containers           map[string]string // service → platform name ("" : just check it fits)
		networks, volumes    map[string]string // key → platform name ("": fits)
	}{
		{
			name: "wordpress-mysql", stack: "wordpress-mysql",
			compose: "services:\n  wordpress:\n    image: busybox\n    volumes: [\"wordpress_data:/var/www\"]\n    networks: [wordpress_mysql_network]\n" +
				"  db:\n    image: busybox\n    volumes: [\"db_data:/var/lib/mysql\"]\n    networks: [wordpress_mysql_network]\n" +
				"volumes:\n  wordpress_data: {}\n  db_data: {}\nnetworks:\n  wordpress_mysql_network: {}\n",
			containers: map[string]string{"wordpress": "", "db": "wordpress-mysql-db"},
			networks:   map[string]string{"wordpress_mysql_network": ""},
			volumes:    map[string]string{"wordpress_data": "", "db_data": "wordpress-mysql-db-data"},
		},
		{
			name: "nextcloud-postgres default network", stack: "nextcloud-postgres",
			compose:    "services:\n  app:\n    image: busybox\n    expose: [\"80\"]\n  db:\n    image: busybox\n",
			containers: map[string]string{"app": "nextcloud-postgres-app", "db": "nextcloud-postgres-db"},
			networks:   map[string]string{"default": ""},
		},
		{
			name: "24-char stack, 30-char service", stack: stack24,
			compose:    "services:\n  " + strings.Repeat("s", 30) + ":\n    image: busybox\n    expose: [\"8080\"]\n",
			containers: map[string]string{strings.Repeat("s", 30): ""},
		},
		{
			name: "keys that map to one name get their own", stack: "s",
			compose: "services:\n  db-data:\n    image: busybox\n  db_data:\n    image: busybox\n  DB_DATA:\n    image: busybox\n" +
				"volumes:\n  x-y: {}\n  x_y: {}\n",
			containers: map[string]string{"db-data": "s-db-data", "db_data": "", "DB_DATA": ""},
			volumes:    map[string]string{"x-y": "s-x-y", "x_y": ""},
		},
		{
			name: "given names with underscores and another user's prefix", stack: "s",
			compose: "services:\n  web:\n    image: busybox\n    container_name: my_web_container\n" +
				"volumes:\n  data:\n    name: bob--data\nnetworks:\n  lan:\n    name: My_Lan\n",
			containers: map[string]string{"web": ""},
			volumes:    map[string]string{"data": ""},
			networks:   map[string]string{"lan": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, err := translateTest(t, tt.stack, tt.compose)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			again, _, err := translateTest(t, tt.stack, tt.compose)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]string{}
			check := func(kind, key, docker string, labels map[string]string, want string) {
				t.Helper()
				user, short, ok := names.SplitDocker(docker)
				if !ok || user != testTenant.Username {
					t.Errorf("%s %q: %q is not alice's", kind, key, docker)
				}
				if err := names.ValidateObject(kind, short); err != nil {
					t.Errorf("%s %q: %v", kind, key, err)
				}
				if want != "" && short != want {
					t.Errorf("%s %q is %q, want %q", kind, key, short, want)
				}
				if prev, dup := seen[kind+"/"+short]; dup {
					t.Errorf("%s %q and %q share %q", kind, prev, key, short)
				}
				seen[kind+"/"+short] = key
				if l := len(short + "-65535" + names.Separator + strings.Repeat("u", names.UsernameMax)); l > 63 {
					t.Errorf("%s %q makes a %d-byte link label", kind, key, l)
				}
				if labels[policy.LabelName] != short {
					t.Errorf("%s %q: name label %q, want %q", kind, key, labels[policy.LabelName], short)
				}
				renamed := short != tt.stack+"-"+key
				if from := labels[labelFileName]; renamed && from == "" || !renamed && from != "" {
					t.Errorf("%s %q as %q: file-name label %q", kind, key, short, from)
				}
			}
			for key, want := range tt.containers {
				s := p.Services[key]
				check("container", key, s.ContainerName, s.Labels, want)
				if s.ContainerName != again.Services[key].ContainerName {
					t.Errorf("service %q: %q then %q", key, s.ContainerName, again.Services[key].ContainerName)
				}
			}
			for key, want := range tt.networks {
				n := p.Networks[key]
				if n.Name == "" {
					t.Fatalf("no network %q: %v", key, keysOf(p.Networks))
				}
				if tt.name != "given names with underscores and another user's prefix" {
					check("network", key, n.Name, n.Labels, want)
				}
				if n.Name != again.Networks[key].Name {
					t.Errorf("network %q: %q then %q", key, n.Name, again.Networks[key].Name)
				}
			}
			for key, want := range tt.volumes {
				v := p.Volumes[key]
				if tt.name != "given names with underscores and another user's prefix" {
					check("volume", key, v.Name, v.Labels, want)
				} else if !strings.HasPrefix(v.Name, "alice--") || v.Labels[labelFileName] != "bob--data" {
					t.Errorf("volume named bob--data is %q, labels %v", v.Name, v.Labels)
				}
			}
		})
	}
}

// TestReplicasWithLongNamesAreRefused: Compose names replicas after the
// service's key, which cannot be shortened without renaming the service
// (its DNS name in the stack): such a file is refused, saying so.
func TestReplicasWithLongNamesAreRefused(t *testing.T) {
	_, _, err := translateTest(t, "my-very-long-stack-name1", "services:\n  worker:\n    image: busybox\n    deploy:\n      replicas: 2\n")
	if err == nil || !strings.Contains(err.Error(), "replicas") {
		t.Fatalf("got %v, want a refusal naming the replicas", err)
	}
	if _, _, err := translateTest(t, "s", "services:\n  worker:\n    image: busybox\n    deploy:\n      replicas: 2\n"); err != nil {
		t.Fatalf("short replicas refused: %v", err)
	}
}

func TestRenamedContainer(t *testing.T) {
	tests := []struct {
		stack, svc, name string
		want             bool
	}{
		{"s", "web", "s-web", false},
		{"s", "web", "s-web-1", false},
		{"s", "web", "s-web-12", false},
		{"s", "web", "s-web-x", true},
		{"s", "web", "s-web-", true},
		{"s", "web_1", "s-web-1", true},
		{"s", "web", "my-web", true},
		{"wordpress-mysql", "wordpress", "wordpress-mysql-kx2bd4fa", true},
		{"s", "", "s-web", false},
	}
	for _, tt := range tests {
		if got := renamedContainer(tt.stack, tt.svc, tt.name); got != tt.want {
			t.Errorf("renamedContainer(%q, %q, %q) = %v, want %v", tt.stack, tt.svc, tt.name, got, tt.want)
		}
	}
}

// TestContainerNameStaysReachable: a container_name the file gives is
// the platform's name only after "<user>--" (and fitted), so other
// services reach it by an alias of the file's name on its networks.
func TestContainerNameStaysReachable(t *testing.T) {
	p, _, err := translateTest(t, "s", "services:\n  db:\n    image: busybox\n    container_name: wordpress_db\n    networks: [back]\n"+
		"  web:\n    image: busybox\n    container_name: web\nnetworks:\n  back: {}\n")
	if err != nil {
		t.Fatal(err)
	}
	for svc, nets := range map[string][]string{"db": {"back"}, "web": {"default"}} {
		s := p.Services[svc]
		for _, k := range nets {
			if n := s.Networks[k]; n == nil || len(n.Aliases) != 1 {
				t.Errorf("service %s on %s: %+v, want its container_name as an alias", svc, k, n)
			}
		}
	}
	if a := p.Services["db"].Networks["back"].Aliases[0]; a != "wordpress_db" {
		t.Errorf("alias %q", a)
	}
	if c := p.Services["db"].ContainerName; !strings.HasPrefix(c, "alice--wordpress-db-") {
		t.Errorf("container %q", c)
	}
}

func TestDockerContainerName(t *testing.T) {
	for s, want := range map[string]bool{
		"db": true, "wordpress_db": true, "My.App-1": true, strings.Repeat("a", 63): true,
		"": false, "_db": false, "-db": false, ".db": false, "a/b": false, "a b": false, "a:b": false,
		strings.Repeat("a", 64): false, "ünï": false, "../etc": false,
	} {
		if got := dockerContainerName(s); got != want {
			t.Errorf("dockerContainerName(%q) = %v, want %v", s, got, want)
		}
	}
}
