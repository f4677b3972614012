package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/testenv"
	"github.com/dockeronline/platform/services/provisioner/provisionertest"
)

// AppsDomain is the domain web links live under, as for `make run`.
const AppsDomain = "apps.localhost"

// Options shape a platform.
type Options struct {
	// Provision runs a real sshd test host and points the provisioner at
	// it; otherwise the provisioner runs with PROVISION_ENABLED=false.
	Provision bool
	// Env adds or overrides settings per service, e.g.
	// {"runner": {"RUNNER_QUOTA_CONTAINERS": "50"}}.
	Env map[string]map[string]string
}

// Platform is the whole platform as processes.
type Platform struct {
	Root     string
	NATS     *NATS
	Postgres *Postgres
	Kratos   *testenv.Kratos
	Host     *provisionertest.Host // nil unless Options.Provision
	Docker   *client.Client        // the real engine (the harness' own view)
	Relay    *DockerRelay          // the runner's way to the engine
	Image    string                // a local busybox image
	Admin    string                // the bootstrap admin's username; BOOTSTRAP_ADMIN is its (verified) e-mail

	GatewayURL string
	ProxyAddr  string // host:port of the public web-link listener

	mu    sync.Mutex
	users map[string]User // every user registered, by id

	svc    map[string]*Proc
	addr   map[string]string // HTTP_ADDR per service
	http   *http.Client
	logDir string
}

// Start builds the services (once per binary) and brings everything up.
// Everything stops, and every Docker object of the platform's users is
// removed, when t ends.
func Start(t *testing.T, opts Options) *Platform {
	t.Helper()
	start := time.Now()
	root := testenv.RepoRoot(t)
	bins := Binaries(t, root)
	p := &Platform{
		Root: root, Docker: dockertest.Client(t),
		Admin: "admin" + RandomHex(4), users: map[string]User{}, svc: map[string]*Proc{}, addr: map[string]string{},
		// No Proxy: an HTTP_PROXY of the machine must not carry the calls.
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, Proxy: nil}},
	}
	p.Image = dockertest.BusyboxImage(t, p.Docker)
	p.logDir = logDir(t)
	t.Cleanup(func() {
		if t.Failed() {
			p.dumpLogs(t)
		}
	})

	for _, s := range Services {
		p.addr[s] = fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	}
	p.GatewayURL = "http://" + p.addr["gateway"]
	p.ProxyAddr = fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))

	p.NATS = StartNATS(t, root, p.logDir)
	p.Postgres = StartPostgres(t, p.logDir)
	kratosDSN := p.Postgres.CreateDatabase(t, "kratos")
	platformDSN := p.Postgres.CreateDatabase(t, "platform")
	if opts.Provision {
		p.Host = provisionertest.StartHost(t)
	}
	p.Relay = StartDockerRelay(t)

	// Kratos as production wires it (scripts/env.sh): browsers reach it
	// through the gateway, and it asks auth to check new usernames.
	kopts := []testenv.KratosOption{testenv.WithDevMode(), testenv.WithUIURL(p.GatewayURL),
		testenv.WithPublicBaseURL(p.GatewayURL + "/.ory/kratos/public/")}
	hook, err := exec.Command(filepath.Join(bins, "auth"), "kratos-env", "http://"+p.addr["auth"]).Output()
	if err != nil {
		t.Fatalf("harness: auth kratos-env: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(hook)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			kopts = append(kopts, testenv.WithConfig(k, v))
		}
	}
	p.Kratos = testenv.StartKratos(t, kratosDSN, kopts...)

	env := p.serviceEnv(platformDSN, opts)
	for _, s := range []string{"auth", "runner", "provisioner", "proxy", "gateway"} {
		proc := &Proc{
			Name: s, Path: filepath.Join(bins, s), Env: env[s],
			LogFile: filepath.Join(p.logDir, s+".log"),
			Ready:   readyz(p.addr[s]),
		}
		p.svc[s] = proc
		proc.Start(t)
		t.Cleanup(func() { proc.Stop(syscall.SIGTERM, 15*time.Second) })
	}
	t.Logf("harness: platform up in %v (gateway %s, proxy %s, logs %s)", time.Since(start).Round(time.Millisecond), p.GatewayURL, p.ProxyAddr, p.logDir)
	return p
}

// serviceEnv is each service's environment: what scripts/env.sh gives it
// for `make run`, on this platform's ports, plus opts.Env.
func (p *Platform) serviceEnv(dsn string, opts Options) map[string][]string {
	common := map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME"),
		"NATS_URL": p.NATS.URL(), "LOG_LEVEL": "info",
	}
	per := map[string]map[string]string{
		"gateway": {"KRATOS_PUBLIC_URL": p.Kratos.PublicURL, "APPS_DOMAIN": AppsDomain,
			"APPS_PORT": p.ProxyAddr[strings.LastIndex(p.ProxyAddr, ":")+1:], "METRICS_ADDR": "127.0.0.1:0"},
		"auth": {"DATABASE_URL": dsn, "KRATOS_PUBLIC_URL": p.Kratos.PublicURL,
			"KRATOS_ADMIN_URL": p.Kratos.AdminURL, "BOOTSTRAP_ADMIN": p.Admin + "@example.test"},
		"runner":      {"DATABASE_URL": dsn, "DOCKER_HOST": p.Relay.Host()},
		"provisioner": {"DATABASE_URL": dsn, "PROVISION_ENABLED": "false"},
		"proxy":       {"PROXY_ADDR": p.ProxyAddr, "APPS_DOMAIN": AppsDomain, "GATEWAY_URL": p.GatewayURL},
	}
	if p.Host != nil {
		per["provisioner"]["PROVISION_ENABLED"] = "true"
		maps.Copy(per["provisioner"], provisionertest.HostEnv(p.Host))
	}
	out := map[string][]string{}
	for _, s := range Services {
		m := maps.Clone(common)
		m["HTTP_ADDR"] = p.addr[s]
		maps.Copy(m, per[s])
		maps.Copy(m, opts.Env[s])
		for _, k := range slices.Sorted(maps.Keys(m)) {
			out[s] = append(out[s], k+"="+m[k])
		}
	}
	return out
}

// Service is one of the five services' process, by name.
func (p *Platform) Service(name string) *Proc {
	s, ok := p.svc[name]
	if !ok {
		panic("harness: no service " + name)
	}
	return s
}

// HTTPAddr is a service's internal listener (health, readiness).
func (p *Platform) HTTPAddr(name string) string { return p.addr[name] }

// EnsureUp restarts whatever a previous scenario left dead, so each
// scenario starts from a whole platform.
func (p *Platform) EnsureUp(t testing.TB) {
	t.Helper()
	if p.Relay.Severed() {
		p.Relay.Restore(t)
	}
	for _, proc := range []*Proc{p.NATS.Proc, p.Postgres.Proc} {
		if !proc.Running() {
			proc.Restart(t)
		}
	}
	for _, s := range Services {
		proc := p.svc[s]
		if !proc.Running() {
			proc.Restart(t)
			continue
		}
		if err := proc.WaitReady(ReadyTimeout); err != nil {
			t.Fatalf("%s is not ready: %v", s, err)
		}
	}
}

func readyz(addr string) func(ctx context.Context) error {
	return func(ctx context.Context) error { return httpOK(ctx, "http://"+addr+"/readyz") }
}

// logDir is FAULTS_LOG_DIR/<test> when set (kept after the run, for a
// person to read), else a temporary directory.
func logDir(t *testing.T) string {
	t.Helper()
	base := os.Getenv("FAULTS_LOG_DIR")
	if base == "" {
		return t.TempDir()
	}
	dir := filepath.Join(base, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())+time.Now().Format("-150405"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// dumpLogs prints the end of every process' log after a failure.
func (p *Platform) dumpLogs(t *testing.T) {
	procs := []*Proc{}
	if p.NATS != nil {
		procs = append(procs, p.NATS.Proc)
	}
	if p.Postgres != nil {
		procs = append(procs, p.Postgres.Proc)
	}
	for _, s := range Services {
		if proc, ok := p.svc[s]; ok {
			procs = append(procs, proc)
		}
	}
	for _, proc := range procs {
		t.Logf("----- last lines of %s (%s):\n%s", proc.Name, proc.LogFile, lastLines(proc.Tail(16000), 40))
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// RandomHex is n random bytes in hex.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
