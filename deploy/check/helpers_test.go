package check

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// platformServices are the five services, in start order.
var platformServices = []string{"gateway", "auth", "runner", "provisioner", "proxy"}

// root is the repository root (this file is deploy/check/helpers_test.go).
func root(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the repository")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// repoPath is a path inside the repository.
func repoPath(t testing.TB, parts ...string) string {
	return filepath.Join(append([]string{root(t)}, parts...)...)
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readYAML decodes a YAML file into a generic tree.
func readYAML(t testing.TB, path string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := yaml.Unmarshal(readFile(t, path), &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if v == nil {
		t.Fatalf("%s: empty", path)
	}
	return v
}

// tool finds a program or fails the test with how to get it.
func tool(t testing.TB, name, fix string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found on PATH: %s", name, fix)
	}
	return p
}

// docker is the docker CLI, after checking the engine answers.
func docker(t testing.TB) string {
	t.Helper()
	bin := tool(t, "docker", "install Docker (Debian: apt-get install docker.io) and start the engine")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, bin, "version", "--format", "{{.Server.Version}}").CombinedOutput(); err != nil {
		t.Fatalf("the Docker engine does not answer (docker version): %v\n%s", err, out)
	}
	return bin
}

// result is what a command printed and how it ended.
type result struct {
	stdout, stderr string
	err            error
}

func (r result) String() string {
	return fmt.Sprintf("err: %v\nstdout:\n%s\nstderr:\n%s", r.err, r.stdout, r.stderr)
}

// runIn runs a command in dir with exactly env (nil: an environment with
// only PATH, HOME and DOCKER_HOST, so the caller's variables never leak
// into a compose interpolation), bounded by timeout.
func runIn(t testing.TB, dir string, env []string, timeout time.Duration, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	if env == nil {
		env = baseEnv()
	}
	cmd.Env = env
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%s %s: timed out after %s", name, strings.Join(args, " "), timeout)
	}
	return result{so.String(), se.String(), err}
}

// baseEnv is the minimal environment commands run with.
func baseEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	if os.Getenv("HOME") == "" {
		env = append(env, "HOME="+os.TempDir())
	}
	return env
}

// envFile reads KEY=VALUE lines (comments and blanks skipped), in order.
func envFile(t testing.TB, path string) ([]string, map[string]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var keys []string
	vals := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || !regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`).MatchString(k) {
			t.Fatalf("%s:%d: not KEY=VALUE: %q", path, n, line)
		}
		if _, dup := vals[k]; dup {
			t.Fatalf("%s:%d: %s set twice", path, n, k)
		}
		keys = append(keys, k)
		vals[k] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return keys, vals
}

// exampleEnv is deploy/compose/platform.env.example.
func exampleEnv(t testing.TB) (path string, vals map[string]string) {
	path = repoPath(t, "deploy", "compose", "platform.env.example")
	_, vals = envFile(t, path)
	return path, vals
}

// interpolated lists the variables a compose-format file refers to as
// ${NAME...}, and which of them are required (${NAME:?...} or ${NAME?...}).
func interpolated(t testing.TB, path string) (all, required map[string]bool) {
	t.Helper()
	all, required = map[string]bool{}, map[string]bool{}
	// $$ is a literal dollar in compose files; comments don't count.
	text := strings.ReplaceAll(withoutComments(string(readFile(t, path))), "$$", "")
	for _, m := range regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[?-])?`).FindAllStringSubmatch(text, -1) {
		all[m[1]] = true
		if strings.HasSuffix(m[2], "?") {
			required[m[1]] = true
		}
	}
	return all, required
}

// keys returns a map's keys, sorted.
func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// mapAt walks a YAML/JSON tree by keys and returns the map there.
func mapAt(v any, path ...string) map[string]any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	m, _ := v.(map[string]any)
	return m
}

// listAt walks a tree by keys and returns the list there.
func listAt(v any, path ...string) []any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	l, _ := v.([]any)
	return l
}

// str is v as a string ("" if it is not one).
func str(v any) string {
	s, _ := v.(string)
	return s
}

// composeTool returns the command that runs Compose here: the v2 plugin
// (docker compose) when installed, else docker-compose (v1 or v2).
func composeTool(t testing.TB) []string {
	t.Helper()
	bin := docker(t)
	if r := runIn(t, "", nil, 30*time.Second, bin, "compose", "version"); r.err == nil {
		return []string{bin, "compose"}
	}
	if p, err := exec.LookPath("docker-compose"); err == nil {
		return []string{p}
	}
	t.Fatal("neither `docker compose` nor `docker-compose` is installed: apt-get install docker-compose (or the docker-compose-plugin)")
	return nil
}

// withoutComments drops YAML comment lines (whole-line comments only, which
// is all this repository writes).
func withoutComments(text string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(text, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
		}
	}
	return b.String()
}
