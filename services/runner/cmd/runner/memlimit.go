package main

import (
	"math"
	"os"
	"runtime/debug"
)

// setMemoryLimit gives the Go runtime the runner's soft memory limit: as
// the heap nears it the collector works harder, so a burst of costly
// commands slows the runner down instead of its container's limit killing
// it with every command it holds. GOMEMLIMIT, when set, is the runtime's
// own setting and wins; else limitMB (RUNNER_MEMORY_LIMIT_MB; 0 or less
// leaves none). It returns the limit in force and where it came from.
func setMemoryLimit(limitMB int) (bytes int64, from string) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return debug.SetMemoryLimit(-1), "GOMEMLIMIT"
	}
	if limitMB <= 0 {
		debug.SetMemoryLimit(math.MaxInt64)
		return math.MaxInt64, "none"
	}
	debug.SetMemoryLimit(int64(limitMB) << 20)
	return int64(limitMB) << 20, "RUNNER_MEMORY_LIMIT_MB"
}
