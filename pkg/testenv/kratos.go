package testenv

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Kratos is a running Ory Kratos, private to one test.
type Kratos struct {
	PublicURL string // e.g. http://127.0.0.1:41234, no trailing slash
	AdminURL  string // e.g. http://127.0.0.1:41235, no trailing slash

	proc *process
}

// Logs returns everything Kratos has written so far.
func (k *Kratos) Logs() string { return k.proc.out.String() }

// KratosOption changes how StartKratos configures Kratos.
type KratosOption func(*kratosSettings)

type kratosSettings struct {
	uiURL         string            // the gateway: self-service UI pages live here
	publicBaseURL string            // serve.public.base_url, when not the direct URL
	dev           bool              // run with --dev
	env           map[string]string // raw Kratos config overrides
}

// WithUIURL points the self-service flows (login, registration, settings,
// recovery, verification, error pages and the allowed return URLs) at the
// gateway at url, e.g. "http://127.0.0.1:8080". Default: the gateway address
// of `make run`, which no test serves.
func WithUIURL(url string) KratosOption {
	return func(s *kratosSettings) { s.uiURL = strings.TrimSuffix(url, "/") }
}

// WithPublicBaseURL sets the URL at which browsers reach Kratos' public API,
// e.g. "http://127.0.0.1:8080/.ory/kratos/public/" when the gateway
// reverse-proxies it. Default: the direct PublicURL.
func WithPublicBaseURL(url string) KratosOption {
	return func(s *kratosSettings) { s.publicBaseURL = url }
}

// WithDevMode runs Kratos with --dev and bcrypt cost 4: faster password
// hashing, non-Secure cookies and readable courier messages on the admin API.
// Off by default so tests see the production security settings.
func WithDevMode() KratosOption {
	return func(s *kratosSettings) { s.dev = true }
}

// WithConfig overrides one Kratos config key by its environment name, e.g.
// WithConfig("COURIER_SMTP_CONNECTION_URI", "smtp://127.0.0.1:2525/?disable_starttls=true").
func WithConfig(envName, value string) KratosOption {
	return func(s *kratosSettings) { s.env[envName] = value }
}

// StartKratos migrates the database at dsn and serves Kratos with the
// project's config (deploy/kratos) on free ports. It stops Kratos when the
// test ends and prints its log if the test failed. The binary is KRATOS_BIN,
// else <repo>/bin/kratos.
func StartKratos(t testing.TB, dsn string, opts ...KratosOption) *Kratos {
	t.Helper()
	root := RepoRoot(t)
	bin := os.Getenv("KRATOS_BIN")
	if bin == "" {
		bin = filepath.Join(root, "bin", "kratos")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("testenv: Kratos binary %s missing: run `make tools` (or set KRATOS_BIN): %v", bin, err)
	}
	config := filepath.Join(root, "deploy", "kratos", "kratos.yml")

	s := kratosSettings{uiURL: "http://127.0.0.1:8080", env: map[string]string{}}
	for _, o := range opts {
		o(&s)
	}
	publicPort, adminPort := FreePort(t), FreePort(t)
	k := &Kratos{
		PublicURL: fmt.Sprintf("http://127.0.0.1:%d", publicPort),
		AdminURL:  fmt.Sprintf("http://127.0.0.1:%d", adminPort),
	}
	if s.publicBaseURL == "" {
		s.publicBaseURL = k.PublicURL + "/"
	}

	env := kratosUIEnv(s.uiURL)
	for name, value := range map[string]string{
		"DSN":                   dsn,
		"SECRETS_COOKIE":        randomHex(32),
		"SECRETS_CIPHER":        randomHex(16), // xchacha20-poly1305 wants exactly 32 characters
		"IDENTITY_SCHEMAS":      fmt.Sprintf(`[{"id":"default","url":"file://%s"}]`, filepath.Join(root, "deploy", "kratos", "identity.schema.json")),
		"SERVE_PUBLIC_HOST":     "127.0.0.1",
		"SERVE_PUBLIC_PORT":     strconv.Itoa(publicPort),
		"SERVE_PUBLIC_BASE_URL": s.publicBaseURL,
		"SERVE_ADMIN_HOST":      "127.0.0.1",
		"SERVE_ADMIN_PORT":      strconv.Itoa(adminPort),
		"SERVE_ADMIN_BASE_URL":  k.AdminURL + "/",
		"LOG_LEVEL":             "info",
	} {
		env[name] = value
	}
	serveArgs := []string{"serve", "-c", config, "--watch-courier", "--sqa-opt-out"}
	if s.dev {
		env["HASHERS_BCRYPT_COST"] = "4"
		serveArgs = append(serveArgs, "--dev")
	}
	for name, value := range s.env {
		env[name] = value
	}
	environ := kratosEnviron(env)

	migrate := exec.Command(bin, "migrate", "sql", "-e", "--yes", "-c", config)
	migrate.Env = environ
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("testenv: kratos migrate: %v\n%s", err, out)
	}

	serve := exec.Command(bin, serveArgs...)
	serve.Env = environ
	k.proc = startProcess(t, "kratos", serve)
	k.proc.stopOnCleanup(t, syscall.SIGTERM, 10*time.Second)
	k.waitReady(t)
	return k
}

// kratosUIEnv returns the Kratos config overrides that point every
// self-service flow at the gateway at uiURL (no trailing slash).
// kratos_env in scripts/env.sh sets the same names for `make run`.
func kratosUIEnv(uiURL string) map[string]string {
	return map[string]string{
		"SELFSERVICE_DEFAULT_BROWSER_RETURN_URL":                          uiURL + "/",
		"SELFSERVICE_ALLOWED_RETURN_URLS":                                 uiURL,
		"SELFSERVICE_FLOWS_ERROR_UI_URL":                                  uiURL + "/error",
		"SELFSERVICE_FLOWS_LOGIN_UI_URL":                                  uiURL + "/login",
		"SELFSERVICE_FLOWS_LOGOUT_AFTER_DEFAULT_BROWSER_RETURN_URL":       uiURL + "/login",
		"SELFSERVICE_FLOWS_REGISTRATION_UI_URL":                           uiURL + "/registration",
		"SELFSERVICE_FLOWS_SETTINGS_UI_URL":                               uiURL + "/settings",
		"SELFSERVICE_FLOWS_RECOVERY_UI_URL":                               uiURL + "/recovery",
		"SELFSERVICE_FLOWS_VERIFICATION_UI_URL":                           uiURL + "/verification",
		"SELFSERVICE_FLOWS_VERIFICATION_AFTER_DEFAULT_BROWSER_RETURN_URL": uiURL + "/",
	}
}

// kratosEnviron builds Kratos' whole environment. Kratos reads every
// variable that matches a config key (DSN, LOG_LEVEL, SERVE_…), so the test
// process' own environment is not passed on: only what Kratos needs to run.
func kratosEnviron(config map[string]string) []string {
	env := []string{"SQA_OPT_OUT=true"}
	for _, name := range []string{"PATH", "HOME", "TMPDIR", "TZ"} {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	keys := make([]string, 0, len(config))
	for k := range config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+config[k])
	}
	return env
}

// waitReady polls both health endpoints until Kratos answers.
func (k *Kratos) waitReady(t testing.TB) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	ready := func(url string) bool {
		resp, err := client.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if k.proc.exited() {
			t.Fatalf("testenv: kratos exited during start-up: %v", k.proc.err)
		}
		if ready(k.PublicURL+"/health/ready") && ready(k.AdminURL+"/admin/health/ready") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: kratos not ready after 60s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
