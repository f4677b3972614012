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

// composeConfig runs `<compose> --env-file ENV -f docker-compose.yml config`
// from the repository root with a clean environment.
func composeConfig(t *testing.T, envFile string) result {
	t.Helper()
	c := composeTool(t)
	args := append(c[1:], "--env-file", envFile, "-f", repoPath(t, "docker-compose.yml"), "config")
	return runIn(t, root(t), nil, 2*time.Minute, c[0], args...)
}

// TestComposeConfig: the compose file validates with the example env file,
// and what Compose makes of it has the platform's shape.
func TestComposeConfig(t *testing.T) {
	envPath, env := exampleEnv(t)
	r := composeConfig(t, envPath)
	if r.err != nil {
		t.Fatalf("compose config failed:\n%s", r)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(r.stdout), &cfg); err != nil {
		t.Fatalf("compose config printed no YAML: %v\n%s", err, r.stdout)
	}
	services := mapAt(cfg, "services")

	want := append([]string{"nats", "postgres", "kratos-migrate", "kratos", "otel-collector", "tempo", "loki",
		"alloy", "prometheus", "nats-exporter", "cadvisor", "node-exporter", "grafana"}, platformServices...)
	for _, s := range want {
		if services[s] == nil {
			t.Errorf("service %s missing from docker-compose.yml", s)
		}
	}

	for _, name := range platformServices {
		svc := mapAt(services, name)
		if svc == nil {
			continue
		}
		build := mapAt(svc, "build")
		if str(mapAt(build, "args")["SERVICE"]) != name {
			t.Errorf("%s: build.args.SERVICE = %v, want %s (one Dockerfile, the service picked by a build arg)", name, mapAt(build, "args")["SERVICE"], name)
		}
		if df := str(build["dockerfile"]); filepath.Base(df) != "Dockerfile" {
			t.Errorf("%s: build.dockerfile = %q, want the repo's Dockerfile", name, df)
		}
		if img := str(svc["image"]); img != env["IMAGE_PREFIX"]+"/"+name+":"+env["IMAGE_TAG"] {
			t.Errorf("%s: image = %q, want IMAGE_PREFIX/%s:IMAGE_TAG", name, img, name)
		}
		envs := mapAt(svc, "environment")
		for _, k := range []string{"NATS_URL", "HTTP_ADDR", "LOG_LEVEL", "OTEL_EXPORTER_OTLP_ENDPOINT"} {
			if str(envs[k]) == "" {
				t.Errorf("%s: %s not set", name, k)
			}
		}
		// Each service is its own NATS user (deploy/nats/permissions.conf).
		pw := env["NATS_"+strings.ToUpper(name)+"_PASSWORD"]
		if u := str(envs["NATS_URL"]); !strings.HasPrefix(u, "nats://"+name+":"+pw+"@") {
			t.Errorf("%s: NATS_URL = %q, want nats://%s:<NATS_%s_PASSWORD>@...", name, u, name, strings.ToUpper(name))
		}
		if svc["read_only"] != true {
			t.Errorf("%s: read_only root filesystem expected", name)
		}
		if !contains(listAt(svc, "cap_drop"), "ALL") {
			t.Errorf("%s: cap_drop: [ALL] expected", name)
		}
	}
	for _, name := range []string{"auth", "runner", "provisioner"} {
		u := str(mapAt(services, name, "environment")["DATABASE_URL"])
		if !strings.HasPrefix(u, "postgres://"+name+":") || !strings.Contains(u, "@postgres:5432/platform") {
			t.Errorf("%s: DATABASE_URL = %q, want its own role %s on database platform", name, u, name)
		}
	}
	for _, k := range []string{"KRATOS_PUBLIC_URL", "KRATOS_ADMIN_URL", "BOOTSTRAP_ADMIN"} {
		if str(mapAt(services, "auth", "environment")[k]) == "" {
			t.Errorf("auth: %s not set", k)
		}
	}
	for _, k := range []string{"PROXY_ADDR", "APPS_DOMAIN", "GATEWAY_URL", "LINK_SECRET"} {
		if str(mapAt(services, "proxy", "environment")[k]) == "" {
			t.Errorf("proxy: %s not set", k)
		}
	}
	for _, k := range []string{"SSH_ADDR", "SSH_USER", "SSH_KEY_FILE", "SSH_KNOWN_HOSTS"} {
		if str(mapAt(services, "provisioner", "environment")[k]) == "" {
			t.Errorf("provisioner: %s not set", k)
		}
	}
	if g, p := mapAt(services, "gateway", "environment")["LINK_SECRET"], mapAt(services, "proxy", "environment")["LINK_SECRET"]; g != p {
		t.Errorf("gateway and proxy must share LINK_SECRET")
	}

	// The runner reaches the engine as non-root, through the socket's group.
	runner := mapAt(services, "runner")
	if !mountsDockerSocket(listAt(runner, "volumes")) {
		t.Error("runner: /var/run/docker.sock not mounted")
	}
	if ga := listAt(runner, "group_add"); len(ga) != 1 || str(ga[0]) != env["DOCKER_GID"] {
		t.Errorf("runner: group_add = %v, want [DOCKER_GID]", ga)
	}
	if u := str(runner["user"]); u != "" && strings.HasPrefix(u, "0") {
		t.Errorf("runner: user %q: must not be root", u)
	}
	// Only the runner, cAdvisor and Alloy see the socket (and the last two read-only).
	for name := range services {
		if name == "runner" || name == "cadvisor" || name == "alloy" {
			continue
		}
		if mountsDockerSocket(listAt(services, name, "volumes")) {
			t.Errorf("%s mounts the Docker socket: only the runner may", name)
		}
	}
	// The provisioner's SSH key and known_hosts are secrets, not env.
	prov := mapAt(services, "provisioner")
	for _, s := range []string{"provisioner_ssh_key", "provisioner_known_hosts"} {
		if !secretUsed(listAt(prov, "secrets"), s) {
			t.Errorf("provisioner: secret %s not mounted", s)
		}
		if f := str(mapAt(cfg, "secrets", s)["file"]); !strings.HasSuffix(f, filepath.Join("deploy", "compose", "secrets", s)) {
			t.Errorf("secret %s: file %q, want deploy/compose/secrets/%s (gitignored)", s, f, s)
		}
	}

	// Everything Compose resolved is free of leftovers.
	if strings.Contains(r.stdout, "${") {
		t.Error("compose config still contains ${...}: an interpolation is malformed")
	}

	// Every bind mount that comes from the repository exists.
	for name := range services {
		for _, v := range listAt(services, name, "volumes") {
			src := volumeSource(v)
			if strings.HasPrefix(src, root(t)+string(filepath.Separator)) {
				if _, err := os.Stat(src); err != nil {
					t.Errorf("%s: mounts %s, which does not exist", name, src)
				}
			}
		}
	}
}

// TestComposeSecretsRequired: every secret is ${VAR:?...}, so a missing one
// stops compose with a message that names it; the example env file sets
// every variable the compose file and the stack use.
func TestComposeSecretsRequired(t *testing.T) {
	envPath, env := exampleEnv(t)
	_, required := interpolated(t, repoPath(t, "docker-compose.yml"))
	secrets := []string{"POSTGRES_PASSWORD", "KRATOS_DB_PASSWORD", "AUTH_DB_PASSWORD", "RUNNER_DB_PASSWORD",
		"PROVISIONER_DB_PASSWORD", "KRATOS_SECRETS_COOKIE", "KRATOS_SECRETS_CIPHER", "LINK_SECRET", "WEB_SECRET",
		"NATS_GATEWAY_PASSWORD", "NATS_AUTH_PASSWORD", "NATS_RUNNER_PASSWORD", "NATS_PROVISIONER_PASSWORD",
		"NATS_PROXY_PASSWORD", "NATS_ADMIN_PASSWORD", "GRAFANA_ADMIN_PASSWORD"}
	for _, s := range secrets {
		if !required[s] {
			t.Errorf("docker-compose.yml: %s is a secret: use ${%s:?...} somewhere so a missing value stops compose", s, s)
		}
		if env[s] != "change-me" {
			t.Errorf("platform.env.example: %s=%q: secrets are the placeholder change-me (gen-secrets.sh fills them)", s, env[s])
		}
	}
	for _, f := range []string{"docker-compose.yml", "deploy/swarm/stack.yml"} {
		all, _ := interpolated(t, repoPath(t, f))
		for _, v := range keys(all) {
			if _, ok := env[v]; !ok {
				t.Errorf("%s uses ${%s}, which deploy/compose/platform.env.example does not set", f, v)
			}
		}
	}

	// Drop one secret: compose must refuse, naming it.
	keysInOrder, vals := envFile(t, envPath)
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.env")
	var b strings.Builder
	for _, k := range keysInOrder {
		if k == "POSTGRES_PASSWORD" {
			continue
		}
		b.WriteString(k + "=" + vals[k] + "\n")
	}
	if err := os.WriteFile(broken, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	r := composeConfig(t, broken)
	if r.err == nil {
		t.Fatal("compose config succeeded without POSTGRES_PASSWORD: secrets must be required")
	}
	if !strings.Contains(r.stdout+r.stderr, "POSTGRES_PASSWORD") {
		t.Errorf("compose failed without naming the missing POSTGRES_PASSWORD:\n%s", r)
	}
}

// TestGitignoredSecrets: the real env file and secret files can never be
// committed; the templates can.
func TestGitignoredSecrets(t *testing.T) {
	git := tool(t, "git", "apt-get install git")
	dir := root(t)
	if r := runIn(t, dir, nil, 30*time.Second, git, "rev-parse", "--git-dir"); r.err != nil {
		t.Fatalf("not a git checkout:\n%s", r)
	}
	for _, p := range []string{"deploy/compose/platform.env", "deploy/compose/secrets/provisioner_ssh_key",
		"deploy/compose/secrets/provisioner_known_hosts", "deploy/compose/other.env"} {
		if r := runIn(t, dir, nil, 30*time.Second, git, "check-ignore", "-q", "--no-index", p); r.err != nil {
			t.Errorf("%s is not gitignored: secrets would be committed", p)
		}
	}
	for _, p := range []string{"deploy/compose/platform.env.example", "deploy/compose/secrets/README.md"} {
		if r := runIn(t, dir, nil, 30*time.Second, git, "check-ignore", "-q", "--no-index", p); r.err == nil {
			t.Errorf("%s is gitignored: it must be committed", p)
		}
	}
}

// TestGenSecrets: gen-secrets.sh fills every placeholder with a fresh
// value, keeps everything else, and the result validates.
func TestGenSecrets(t *testing.T) {
	_, example := exampleEnv(t)
	out := filepath.Join(t.TempDir(), "platform.env")
	if r := runIn(t, root(t), nil, time.Minute, repoPath(t, "deploy", "compose", "gen-secrets.sh"), out); r.err != nil {
		t.Fatalf("gen-secrets.sh:\n%s", r)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("platform.env mode %v, want 0600", fi.Mode().Perm())
	}
	_, got := envFile(t, out)
	hex := regexp.MustCompile(`^[0-9a-f]+$`)
	seen := map[string]string{}
	for k, v := range example {
		if v != "change-me" {
			if got[k] != v {
				t.Errorf("%s changed from %q to %q", k, v, got[k])
			}
			continue
		}
		if !hex.MatchString(got[k]) || len(got[k]) < 32 {
			t.Errorf("%s = %q: want a random hex secret of 32+ characters", k, got[k])
		}
		if other, dup := seen[got[k]]; dup {
			t.Errorf("%s and %s got the same secret", k, other)
		}
		seen[got[k]] = k
	}
	if n := len(got["KRATOS_SECRETS_CIPHER"]); n != 32 {
		t.Errorf("KRATOS_SECRETS_CIPHER has %d characters; Kratos wants exactly 32", n)
	}
	if r := runIn(t, root(t), nil, time.Minute, repoPath(t, "deploy", "compose", "gen-secrets.sh"), out); r.err == nil {
		t.Error("gen-secrets.sh overwrote an existing env file")
	}
	if r := composeConfig(t, out); r.err != nil {
		t.Errorf("compose config with the generated env file:\n%s", r)
	}
}

func contains(l []any, s string) bool {
	for _, v := range l {
		if str(v) == s {
			return true
		}
	}
	return false
}

// volumeSource is the host side of a compose volume, short or long syntax.
func volumeSource(v any) string {
	switch v := v.(type) {
	case string:
		src, _, _ := strings.Cut(v, ":")
		return src
	case map[string]any:
		return str(v["source"])
	}
	return ""
}

func mountsDockerSocket(volumes []any) bool {
	for _, v := range volumes {
		if strings.HasSuffix(volumeSource(v), "docker.sock") {
			return true
		}
	}
	return false
}

func secretUsed(secrets []any, name string) bool {
	for _, s := range secrets {
		switch s := s.(type) {
		case string:
			if s == name {
				return true
			}
		case map[string]any:
			if str(s["source"]) == name {
				return true
			}
		}
	}
	return false
}
