package harness

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Slack multiplies a stated bound into a test deadline. Bounds are what
// docs/FAULTS.md promises; a busy 2-core CI machine may be slower, and a
// fault test must fail for a broken platform, not for a slow one.
const Slack = 4

// Measurement is one measured convergence.
type Measurement struct {
	Test  string
	What  string
	Took  time.Duration
	Bound time.Duration
}

var (
	measuredMu sync.Mutex
	measured   []Measurement
)

// Record keeps a measurement for the summary and logs it.
func Record(t testing.TB, what string, took, bound time.Duration) {
	t.Helper()
	measuredMu.Lock()
	measured = append(measured, Measurement{Test: t.Name(), What: what, Took: took, Bound: bound})
	measuredMu.Unlock()
	t.Logf("measured: %s in %v (stated bound %v)", what, took.Round(time.Millisecond), bound)
}

// Summary is a table of every measurement of the run, for the end of the
// test binary's output.
func Summary() string {
	measuredMu.Lock()
	defer measuredMu.Unlock()
	if len(measured) == 0 {
		return ""
	}
	ms := append([]Measurement(nil), measured...)
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].Test < ms[j].Test })
	var b strings.Builder
	fmt.Fprintf(&b, "%-44s %-72s %10s %8s\n", "test", "converged", "took", "bound")
	for _, m := range ms {
		flag := ""
		if m.Bound > 0 && m.Took > m.Bound {
			flag = "  (over the stated bound, under the deadline)"
		}
		fmt.Fprintf(&b, "%-44s %-72s %10v %8v%s\n", m.Test, m.What, m.Took.Round(time.Millisecond), m.Bound, flag)
	}
	return b.String()
}

// Converge polls check (every 100ms, then less often) until it returns nil
// and records how long that took. It fails the test when bound×Slack has
// passed, with the last error check returned. It returns the time taken.
func Converge(t testing.TB, what string, bound time.Duration, check func() error) time.Duration {
	t.Helper()
	return ConvergeSince(t, time.Now(), what, bound, check)
}

// ConvergeSince is Converge measured from start (say, the moment a killed
// part was started again), not from the call.
func ConvergeSince(t testing.TB, start time.Time, what string, bound time.Duration, check func() error) time.Duration {
	t.Helper()
	deadline := start.Add(bound * Slack)
	wait := 100 * time.Millisecond
	for {
		err := check()
		if err == nil {
			took := time.Since(start)
			Record(t, what, took, bound)
			return took
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not converged after %v (stated bound %v ×%d): %v", what, time.Since(start).Round(time.Millisecond), bound, Slack, err)
		}
		time.Sleep(wait)
		wait = min(wait*3/2, time.Second)
	}
}
