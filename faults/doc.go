// Package faults is the platform's fault suite, abuse tests and scale test
// (docs/FAULTS.md). The tests drive the five services as real processes
// (faults/harness), kill them with SIGKILL in the middle of work, and check
// that nothing is lost, duplicated or orphaned and that the platform
// converges within the bounds docs/FAULTS.md states.
//
// `make test` runs a bounded selection; `make test-faults` (FAULTS=full)
// runs everything with larger numbers.
package faults
