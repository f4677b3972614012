package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/testenv"
)

// TestConfigReadsEveryDocumentedSetting: every variable the README's
// configuration table documents for the gateway is read by LoadConfig —
// the one place the gateway reads its environment — so a documented
// setting can no longer be silently ignored (LOGIN_* once were).
func TestConfigReadsEveryDocumentedSetting(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented := config.Documented(readme, "gateway")
	if len(documented) < 10 {
		t.Fatalf("found only %v in the README's gateway rows: has the table moved?", documented)
	}
	e := config.FromMap(nil)
	if _, err := LoadConfig(e); err != nil {
		t.Fatal(err)
	}
	for _, v := range documented {
		if !e.Read(v) {
			t.Errorf("README documents %s for the gateway, LoadConfig never reads it", v)
		}
	}
}

// TestConfigStopsOnMalformedSettings: a malformed value stops the gateway
// at start with the variable named; good values reach the parts.
func TestConfigStopsOnMalformedSettings(t *testing.T) {
	for _, bad := range []map[string]string{
		{"LOGIN_MAX_FAILURES": "five"},
		{"LOGIN_LOCKOUT": "soon"},
		{"API_RATE_BURST": "0"},
		{"API_RATE_PER_SECOND": "fast"},
		{"BUILD_MAX_CONTEXT_MB": "big"},
		{"BUILD_CONTEXT_TTL": "1 hour"},
	} {
		_, err := LoadConfig(config.FromMap(bad))
		for k := range bad {
			if err == nil || !strings.Contains(err.Error(), k) {
				t.Errorf("%v: err %v, want one naming %s", bad, err, k)
			}
		}
	}
	c, err := LoadConfig(config.FromMap(map[string]string{
		"LOGIN_MAX_FAILURES": "7", "LOGIN_LOCKOUT": "2m", "API_RATE_BURST": "9",
		"BUILD_MAX_CONTEXT_MB": "3", "XTERM_DIR": "/x", "GATEWAY_ALLOWED_ORIGINS": "https://a.example/",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Login.MaxFailures != 7 || c.Login.BaseLockout != 2*time.Minute || c.RateLimit.Burst != 9 ||
		c.Uploads.MaxBytes != 3<<20 || c.Terminal.XtermDir != "/x" || len(c.Terminal.AllowedOrigins) != 1 {
		t.Errorf("config %+v %+v %+v %+v", c.Login, c.RateLimit, c.Uploads, c.Terminal)
	}
}
