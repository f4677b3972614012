package faults

import (
	"fmt"
	"os"
	"testing"

	"github.com/dockeronline/platform/faults/harness"
)

// TestMain prints every measured convergence at the end (the numbers
// docs/FAULTS.md quotes) and removes the services built for the run.
func TestMain(m *testing.M) {
	code := m.Run()
	if s := harness.Summary(); s != "" {
		fmt.Printf("\n== fault suite measurements (mode %s)\n%s\n", mode(), s)
	}
	harness.RemoveBinaries()
	os.Exit(code)
}

func mode() string {
	if harness.Full() {
		return "full"
	}
	return "bounded"
}
