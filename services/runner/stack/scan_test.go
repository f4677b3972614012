package stack

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/dockeronline/platform/pkg/apierr"
)

func TestScanRefusesCostlyInputs(t *testing.T) {
	for _, c := range CostCases() {
		t.Run(c.Name, func(t *testing.T) {
			root := t.TempDir()
			for name, content := range c.Files {
				if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := scanCompose(root, []byte(c.Compose), c.Env, DefaultInputLimits())
			ae := apierr.From(err)
			if ae == nil || ae.Rule != c.Rule {
				t.Fatalf("len %d: got %v, want rule %s", len(c.Compose), err, c.Rule)
			}
			t.Logf("%d bytes: %s", len(c.Compose), ae.Message)
		})
	}
}
