package harness

import "os"

// Full reports whether the whole fault suite runs (FAULTS=full, as
// `make test-faults` sets it) rather than its bounded form in `make test`.
func Full() bool { return os.Getenv("FAULTS") == "full" }

// Pick returns bounded in the bounded form, full with FAULTS=full.
func Pick[T any](bounded, full T) T {
	if Full() {
		return full
	}
	return bounded
}
