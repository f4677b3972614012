package app_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/testenv"
	"github.com/dockeronline/platform/services/runner/app"
)

// readElsewhere are runner variables the README documents that are read
// by a library, not by LoadConfig: the Docker client's own.
var readElsewhere = map[string]bool{"DOCKER_HOST": true}

// TestConfigReadsEveryDocumentedSetting: every variable the README's
// configuration table documents for the runner is read by LoadConfig, the
// one place the runner reads its environment.
func TestConfigReadsEveryDocumentedSetting(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented := config.Documented(readme, "runner")
	if len(documented) < 20 {
		t.Fatalf("found only %v in the README's runner rows: has the table moved?", documented)
	}
	e := config.FromMap(nil)
	if _, err := app.LoadConfig(e); err != nil {
		t.Fatal(err)
	}
	for _, v := range documented {
		if !readElsewhere[v] && !e.Read(v) {
			t.Errorf("README documents %s for the runner, LoadConfig never reads it", v)
		}
	}
}
