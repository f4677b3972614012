package check

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// TestSwarmStackConfig: deploy/swarm/stack.yml validates with
// `docker stack config` (the CLI's own loader and schema, what `docker
// stack deploy` uses), given the example env in the environment as the
// README says (docker stack reads no env file).
func TestSwarmStackConfig(t *testing.T) {
	bin := docker(t)
	if r := runIn(t, "", nil, 30*time.Second, bin, "stack", "config", "--help"); r.err != nil {
		t.Fatalf("this docker CLI has no `docker stack config` (Docker 20.10+ has): %s", r)
	}
	_, env := exampleEnv(t)
	vars := baseEnv()
	for k, v := range env {
		vars = append(vars, k+"="+v)
	}
	stack := repoPath(t, "deploy", "swarm", "stack.yml")
	r := runIn(t, root(t), vars, time.Minute, bin, "stack", "config", "-c", stack)
	if r.err != nil {
		t.Fatalf("docker stack config failed:\n%s", r)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(r.stdout), &cfg); err != nil {
		t.Fatalf("docker stack config printed no YAML: %v", err)
	}
	services := mapAt(cfg, "services")

	for _, name := range platformServices {
		svc := mapAt(services, name)
		if svc == nil {
			t.Errorf("service %s missing from the stack", name)
			continue
		}
		if img := str(svc["image"]); img != env["IMAGE_PREFIX"]+"/"+name+":"+env["IMAGE_TAG"] {
			t.Errorf("%s: image %q, want IMAGE_PREFIX/%s:IMAGE_TAG", name, img, name)
		}
		u := str(mapAt(svc, "environment")["NATS_URL"])
		if !strings.HasPrefix(u, "nats://"+name+":") {
			t.Errorf("%s: NATS_URL %q: want its own NATS user", name, u)
		}
		if name != "proxy" {
			for _, n := range []string{"nats-1", "nats-2", "nats-3"} {
				if !strings.Contains(u, "@"+n+":4222") {
					t.Errorf("%s: NATS_URL %q does not list %s: the cluster must survive one server", name, u, n)
				}
			}
		}
	}
	// One runner and one proxy per Docker host, placed by Swarm.
	for _, name := range []string{"runner", "proxy"} {
		dep := mapAt(services, name, "deploy")
		if str(dep["mode"]) != "global" {
			t.Errorf("%s: deploy.mode %v, want global (one per runner node)", name, dep["mode"])
		}
		if !contains(listAt(dep, "placement", "constraints"), "node.labels.dockeronline.runner == true") {
			t.Errorf("%s: want placement on node.labels.dockeronline.runner == true", name)
		}
	}
	if !mountsDockerSocket(listAt(services, "runner", "volumes")) {
		t.Error("runner: no Docker socket")
	}
	if u := str(mapAt(services, "runner")["user"]); !strings.HasPrefix(u, "65532:") {
		t.Errorf("runner: user %q, want 65532:<docker gid>", u)
	}
	// Three NATS servers, one per labelled node, each named.
	for i, n := range []string{"nats-1", "nats-2", "nats-3"} {
		svc := mapAt(services, n)
		if svc == nil {
			t.Errorf("%s missing", n)
			continue
		}
		if str(mapAt(svc, "environment")["NATS_SERVER_NAME"]) != n {
			t.Errorf("%s: NATS_SERVER_NAME must be %s", n, n)
		}
		want := "node.labels.dockeronline.nats == " + string(rune('1'+i))
		if !contains(listAt(svc, "deploy", "placement", "constraints"), want) {
			t.Errorf("%s: want placement %q", n, want)
		}
		cmd := strings.Join(strs(listAt(svc, "command")), " ")
		if !strings.Contains(cmd, "/etc/nats/nats-cluster.conf") || !strings.Contains(cmd, "--routes") {
			t.Errorf("%s: command %q: want the cluster config and its routes", n, cmd)
		}
	}
	if strings.Contains(r.stdout, "${") {
		t.Error("docker stack config still contains ${...}")
	}

	// Every config and secret file exists, relative to the stack file.
	raw := readYAML(t, stack)
	for name, c := range mapAt(raw, "configs") {
		f := str(mapAt(c)["file"])
		if f == "" {
			t.Errorf("config %s: no file", name)
			continue
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(stack), f)); err != nil {
			t.Errorf("config %s: %v", name, err)
		}
	}
}

// TestImagePinsAgree: the upstream images are pinned (no latest, no
// untagged) and the compose file and the stack pin the same versions.
func TestImagePinsAgree(t *testing.T) {
	pins := map[string]map[string]string{} // repo -> file -> tag
	re := regexp.MustCompile(`(?m)^\s+image:\s+(?:&\S+\s+)?(\S+)\s*$`)
	for _, f := range []string{"docker-compose.yml", "deploy/swarm/stack.yml"} {
		for _, m := range re.FindAllStringSubmatch(string(readFile(t, repoPath(t, f))), -1) {
			img := m[1]
			if strings.HasPrefix(img, "*") || strings.HasPrefix(img, "${") {
				continue // an alias, or the platform's own images
			}
			i := strings.LastIndex(img, ":")
			if i < 0 || strings.Contains(img[i:], "/") {
				t.Errorf("%s: image %s has no tag: pin it", f, img)
				continue
			}
			repo, tag := img[:i], img[i+1:]
			if tag == "latest" || tag == "" {
				t.Errorf("%s: image %s: pin a version", f, img)
			}
			if pins[repo] == nil {
				pins[repo] = map[string]string{}
			}
			if old, ok := pins[repo][f]; ok && old != tag {
				t.Errorf("%s: %s pinned twice (%s, %s)", f, repo, old, tag)
			}
			pins[repo][f] = tag
		}
	}
	if len(pins) < 10 {
		t.Fatalf("found only %d upstream images: the image: lines were not recognised", len(pins))
	}
	for repo, byFile := range pins {
		c, s := byFile["docker-compose.yml"], byFile["deploy/swarm/stack.yml"]
		if c != "" && s != "" && c != s {
			t.Errorf("%s: docker-compose.yml pins %s, deploy/swarm/stack.yml pins %s", repo, c, s)
		}
	}
}

func strs(l []any) []string {
	out := make([]string, 0, len(l))
	for _, v := range l {
		out = append(out, str(v))
	}
	return out
}
