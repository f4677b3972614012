package harness

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Services are the platform's five programs, in start order.
var Services = []string{"gateway", "auth", "runner", "provisioner", "proxy"}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// Binaries builds the five services once per test binary (go build's cache
// makes an unchanged tree cheap) and returns the directory holding them.
// Each is built from its own module directory, so it works with or without
// the workspace (GOWORK=off).
func Binaries(t testing.TB, root string) string {
	t.Helper()
	buildOnce.Do(func() {
		start := time.Now()
		buildDir, buildErr = os.MkdirTemp("", "faults-bin-")
		if buildErr != nil {
			return
		}
		for _, svc := range Services {
			cmd := exec.Command("go", "build", "-o", filepath.Join(buildDir, svc), "./cmd/"+svc)
			cmd.Dir = filepath.Join(root, "services", svc)
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", svc, err, out)
				return
			}
		}
		t.Logf("harness: built %v in %v", Services, time.Since(start).Round(time.Millisecond))
	})
	if buildErr != nil {
		t.Fatalf("harness: %v", buildErr)
	}
	return buildDir
}

// RemoveBinaries deletes the built programs (TestMain calls it at the end).
func RemoveBinaries() {
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
}
