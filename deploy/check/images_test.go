package check

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// imageTag is the tag TestImages builds (the build cache is shared with
// every other tag, so it costs nothing extra).
const imageTag = "check"

// TestDockerfile: the Dockerfile, .dockerignore and the compose files agree
// with the repository: the builder's Go version is go.work's, no module asks
// for a newer Go, every service is built, the last stage is FROM scratch
// and not root.
func TestDockerfile(t *testing.T) {
	df := string(readFile(t, repoPath(t, "Dockerfile")))
	m := regexp.MustCompile(`(?m)^ARG GO_IMAGE=golang:(\d+\.\d+(?:\.\d+)?)-\S+$`).FindStringSubmatch(df)
	if m == nil {
		t.Fatal("Dockerfile: want `ARG GO_IMAGE=golang:<version>-<distro>` (the official image by default)")
	}
	goVersion := m[1]
	work := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(string(readFile(t, repoPath(t, "go.work"))))
	if work == nil || work[1] != goVersion {
		t.Errorf("Dockerfile builds with Go %s, go.work says %v: keep them equal", goVersion, work)
	}
	// GOTOOLCHAIN=local: no module may need a newer Go than the builder's.
	mods, _ := filepath.Glob(repoPath(t, "services", "*", "go.mod"))
	mods = append(mods, repoPath(t, "pkg", "go.mod"), repoPath(t, "deploy", "docker", "healthcheck", "go.mod"))
	for _, f := range mods {
		gm := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(string(readFile(t, f)))
		if gm == nil || versionLess(goVersion, gm[1]) {
			t.Errorf("%s wants Go %v, newer than the image builder's %s", f, gm, goVersion)
		}
	}
	for _, f := range []string{"docker-compose.yml", "deploy/compose/platform.env.example"} {
		if !strings.Contains(string(readFile(t, repoPath(t, f))), "golang:"+goVersion+"-") {
			t.Errorf("%s: GO_IMAGE default must be golang:%s-... like the Dockerfile's", f, goVersion)
		}
	}
	for _, s := range platformServices {
		if !strings.Contains(df, "COPY services/"+s+"/go.* services/"+s+"/") {
			t.Errorf("Dockerfile: no `COPY services/%s/go.* services/%s/` (module download layer)", s, s)
		}
	}
	loops := regexp.MustCompile(`for s in ([a-z ]+);`).FindAllStringSubmatch(df, -1)
	if len(loops) < 2 {
		t.Error("Dockerfile: the service loops (deplist, build) are gone")
	}
	for _, l := range loops {
		if strings.Join(strings.Fields(l[1]), " ") != strings.Join(platformServices, " ") {
			t.Errorf("Dockerfile builds %q, want %q", l[1], strings.Join(platformServices, " "))
		}
	}
	stages := regexp.MustCompile(`(?m)^FROM (\S+)`).FindAllStringSubmatch(df, -1)
	if len(stages) == 0 || stages[len(stages)-1][1] != "scratch" {
		t.Error("Dockerfile: the final stage must be FROM scratch")
	}
	final := df[strings.LastIndex(df, "\nFROM "):]
	if !strings.Contains(final, "\nUSER 65532:65532\n") {
		t.Error("Dockerfile: the final stage must say USER 65532:65532")
	}
	ignore := string(readFile(t, repoPath(t, ".dockerignore")))
	for _, want := range []string{"*", "!pkg", "!services", "!deploy/docker"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(want) + `$`).MatchString(ignore) {
			t.Errorf(".dockerignore: line %q missing", want)
		}
	}
}

// TestHealthcheckBinary: the images' HEALTHCHECK program is vetted and
// gofmt-ed (its module is outside go.work) and does what it says.
func TestHealthcheckBinary(t *testing.T) {
	goBin := tool(t, "go", "install Go (/usr/local/go/bin on PATH)")
	dir := repoPath(t, "deploy", "docker", "healthcheck")
	env := append(baseEnv(), "GOWORK=off", "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
	if gp, ok := os.LookupEnv("GOPATH"); ok {
		env = append(env, "GOPATH="+gp)
	}
	if gc, ok := os.LookupEnv("GOCACHE"); ok {
		env = append(env, "GOCACHE="+gc)
	}
	if r := runIn(t, dir, env, 2*time.Minute, goBin, "vet", "./..."); r.err != nil {
		t.Fatalf("go vet deploy/docker/healthcheck:\n%s", r)
	}
	if r := runIn(t, dir, env, time.Minute, filepath.Join(filepath.Dir(goBin), "gofmt"), "-l", "."); r.err != nil || r.stdout != "" {
		t.Errorf("gofmt -l deploy/docker/healthcheck: %s", r)
	}
	bin := filepath.Join(t.TempDir(), "healthcheck")
	if r := runIn(t, dir, env, 2*time.Minute, goBin, "build", "-o", bin, "."); r.err != nil {
		t.Fatalf("go build:\n%s", r)
	}

	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, `{"status":"ok"}`)
	}))
	defer ok.Close()
	sick := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
	}))
	defer sick.Close()
	_, port, _ := net.SplitHostPort(ok.Listener.Addr().String())

	cases := []struct {
		name     string
		args     []string
		httpAddr string
		ok       bool
		stderr   string
	}{
		{"URL answering 200", []string{ok.URL + "/healthz"}, "", true, ""},
		{"URL answering 503", []string{sick.URL + "/healthz"}, "", false, "503"},
		{"HTTP_ADDR with no host means loopback", nil, ":" + port, true, ""},
		{"HTTP_ADDR 0.0.0.0", nil, "0.0.0.0:" + port, true, ""},
		{"nothing listening", nil, "127.0.0.1:1", false, "connection refused"},
		{"bad HTTP_ADDR", nil, "nonsense", false, "HTTP_ADDR"},
	}
	for _, c := range cases {
		env := baseEnv()
		if c.httpAddr != "" {
			env = append(env, "HTTP_ADDR="+c.httpAddr)
		}
		r := runIn(t, "", env, 30*time.Second, bin, c.args...)
		if (r.err == nil) != c.ok || !strings.Contains(r.stderr, c.stderr) {
			t.Errorf("%s: %s", c.name, r)
		}
	}
}

// TestImages builds the five service images with scripts/images.sh on this
// machine's engine (the local Go builder image when GO_IMAGE is unset) and
// checks each: non-root, FROM scratch (no shell), its HEALTHCHECK, and a
// static binary that starts and logs.
func TestImages(t *testing.T) {
	bin := docker(t)
	for _, s := range platformServices {
		if _, err := os.Stat(repoPath(t, "services", s, "cmd", s, "main.go")); err != nil {
			t.Fatalf("services/%s/cmd/%s/main.go missing: every service needs a main before its image can build", s, s)
		}
	}
	start := time.Now()
	env := baseEnv()
	for _, k := range []string{"GO_IMAGE", "GOPROXY", "REBUILD_BUILDER"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	r := runIn(t, root(t), append(env, "TAG="+imageTag), 30*time.Minute, repoPath(t, "scripts", "images.sh"))
	if r.err != nil {
		t.Fatalf("scripts/images.sh failed:\n%s", r)
	}
	t.Logf("scripts/images.sh built %d images in %s:\n%s", len(platformServices), time.Since(start).Round(time.Second), r.stderr)

	for _, s := range platformServices {
		t.Run(s, func(t *testing.T) {
			t.Parallel()
			image := "dockeronline/" + s + ":" + imageTag
			r := runIn(t, "", nil, time.Minute, bin, "image", "inspect", image)
			if r.err != nil {
				t.Fatalf("image %s missing:\n%s", image, r)
			}
			var info []struct {
				Os     string
				Size   int64
				Config struct {
					User        string
					Entrypoint  []string
					Env         []string
					Labels      map[string]string
					Healthcheck *struct{ Test []string }
				}
			}
			if err := json.Unmarshal([]byte(r.stdout), &info); err != nil || len(info) != 1 {
				t.Fatalf("docker image inspect: %v", err)
			}
			cfg := info[0].Config
			if cfg.User != "65532:65532" {
				t.Errorf("runs as %q, want 65532:65532 (non-root)", cfg.User)
			}
			if strings.Join(cfg.Entrypoint, " ") != "/usr/local/bin/service" {
				t.Errorf("entrypoint %v", cfg.Entrypoint)
			}
			if cfg.Labels["org.dockeronline.service"] != s {
				t.Errorf("label org.dockeronline.service = %q", cfg.Labels["org.dockeronline.service"])
			}
			if cfg.Healthcheck == nil || strings.Join(cfg.Healthcheck.Test, " ") != "CMD /usr/local/bin/healthcheck" {
				t.Errorf("healthcheck %+v", cfg.Healthcheck)
			}
			if info[0].Size > 80<<20 {
				t.Errorf("image is %d MiB: a static binary on scratch should be far smaller", info[0].Size>>20)
			}
			t.Logf("%s: %.1f MiB", image, float64(info[0].Size)/(1<<20))

			// FROM scratch: there is no shell to run.
			if r := runIn(t, "", nil, time.Minute, bin, "run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", image, "-c", "true"); r.err == nil {
				t.Error("the image has a shell: the final stage must be FROM scratch")
			}
			// The healthcheck binary runs (static) and says why it fails.
			r = runIn(t, "", nil, time.Minute, bin, "run", "--rm", "--network", "none", "--entrypoint", "/usr/local/bin/healthcheck", image)
			if r.err == nil || !strings.Contains(r.stderr, "connection refused") {
				t.Errorf("healthcheck with nothing listening:\n%s", r)
			}

			// The service starts: hardened as in production, with nothing
			// to connect to. It must run and log (and may then stop
			// because NATS or Postgres is unreachable).
			name := fmt.Sprintf("deploy-check-%s-%d", s, time.Now().UnixNano())
			args := []string{"run", "-d", "--name", name, "--network", "none", "--read-only", "--cap-drop", "ALL",
				"--security-opt", "no-new-privileges:true", "--tmpfs", "/tmp", "--tmpfs", "/home/nonroot:uid=65532,gid=65532,mode=0700",
				"-e", "NATS_URL=nats://127.0.0.1:1", "-e", "HTTP_ADDR=:8080", "-e", "LOG_LEVEL=debug",
				"-e", "DATABASE_URL=postgres://x@127.0.0.1:1/x?sslmode=disable&connect_timeout=1",
				"-e", "KRATOS_PUBLIC_URL=http://127.0.0.1:1", "-e", "KRATOS_ADMIN_URL=http://127.0.0.1:1",
				"-e", "PROXY_ADDR=:8000", "-e", "APPS_DOMAIN=apps.example.com", "-e", "GATEWAY_URL=https://docker.example.com",
				"-e", "LINK_SECRET=0123456789abcdef0123456789abcdef",
				"-e", "SSH_ADDR=127.0.0.1:1", "-e", "SSH_USER=nobody",
				image}
			if r := runIn(t, "", nil, time.Minute, bin, args...); r.err != nil {
				t.Fatalf("docker run:\n%s", r)
			}
			t.Cleanup(func() { runIn(t, "", nil, time.Minute, bin, "rm", "-f", name) })
			var state struct {
				Running  bool
				ExitCode int
				Error    string
			}
			var logs result
			healthy := false
			started := time.Now()
			for time.Since(started) < 15*time.Second {
				r := runIn(t, "", nil, time.Minute, bin, "inspect", "-f", "{{json .State}}", name)
				if err := json.Unmarshal([]byte(r.stdout), &state); err != nil {
					t.Fatalf("docker inspect: %s", r)
				}
				logs = runIn(t, "", nil, time.Minute, bin, "logs", name)
				if state.Running && !healthy {
					healthy = runIn(t, "", nil, time.Minute, bin, "exec", name, "/usr/local/bin/healthcheck").err == nil
				}
				// Done once it logged and either stopped, answers, or has
				// been up a while (waiting for NATS or Postgres).
				if logs.stdout+logs.stderr != "" && (!state.Running || healthy || time.Since(started) > 5*time.Second) {
					break
				}
				time.Sleep(500 * time.Millisecond)
			}
			out := logs.stdout + logs.stderr
			switch {
			case state.Error != "":
				t.Errorf("container did not start: %s", state.Error)
			case !state.Running && (state.ExitCode == 126 || state.ExitCode == 127):
				t.Errorf("the binary could not be executed (exit %d):\n%s", state.ExitCode, out)
			case out == "":
				t.Errorf("the service logged nothing in 15s (running=%v, exit %d)", state.Running, state.ExitCode)
			}
			t.Logf("%s: running=%v exit=%d /healthz answered=%v; first log line: %s", s, state.Running, state.ExitCode, healthy, firstLine(out))

			// The gateway bundles xterm.js (Debian's node-xterm, baked into
			// its image) for the terminal page.
			if s == "gateway" {
				if !healthy {
					t.Fatal("the gateway does not answer /healthz: cannot check its xterm.js")
				}
				r := runIn(t, "", nil, time.Minute, bin, "exec", name, "/usr/local/bin/healthcheck", "http://127.0.0.1:8080/static/vendor/xterm/xterm.js")
				if r.err != nil {
					t.Errorf("the gateway cannot serve xterm.js from its image:\n%s", r)
				}
			}
		})
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	if len(line) > 200 {
		line = line[:200] + "…"
	}
	return line
}

// versionLess compares Go versions such as 1.26 and 1.26.8.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			fmt.Sscan(pa[i], &x)
		}
		if i < len(pb) {
			fmt.Sscan(pb[i], &y)
		}
		if x != y {
			return x < y
		}
	}
	return false
}
