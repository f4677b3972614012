package main

import (
	"fmt"
	"slices"
	"strings"
)

// terminalSection is the body of the "Terminal" section, from
// BenchmarkTerminalEcho's runs (e2e/bench_terminal_test.go); its wording
// is the one the benchmark's author wrote, with this run's numbers.
func terminalSection(rs []result, date string, m machine, command string) (string, error) {
	plat := runs(rs, "BenchmarkTerminalEcho/platform")
	exec := runs(rs, "BenchmarkTerminalEcho/docker-exec")
	if len(plat) == 0 || len(exec) == 0 {
		return "", fmt.Errorf("no results for BenchmarkTerminalEcho/{platform,docker-exec}")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Measured by `BenchmarkTerminalEcho` (`e2e/bench_terminal_test.go`) on %s: %s, %d CPUs, %s, Docker %s. Reproduce with:\n\n```\n%s\n```\n\n",
		date, m.CPU, m.Cores, m.Go, m.Docker, command)
	fmt.Fprintf(&b, "One keystroke and its echo, one byte each way, against the same busybox container running `cat` on a TTY (the TTY's line discipline echoes), both measured in the same run after 50 warm-up round trips. The whole platform runs in the benchmark process (gateway, runner, auth, embedded NATS) beside Kratos, Postgres and dockerd, all on the same %d cores.\n\n", m.Cores)
	b.WriteString("- **platform**: a websocket client → gateway → NATS `term.<s>.in` (acknowledged request) → runner → the hijacked `docker exec` stream → dockerd → TTY, and back through `term.<s>.out` → gateway → websocket.\n")
	b.WriteString("- **docker-exec**: the Engine API directly: `ExecCreate` + `ExecAttach` with a TTY, write a byte to the hijacked connection, read its echo (what `docker exec -it` does).\n\n")
	fmt.Fprintf(&b, "| path | ns/op (mean of %s) | p50 | p99 |\n|---|---:|---:|---:|\n", grouped(float64(plat[0].N)))
	for _, p := range []struct {
		name string
		rs   []result
	}{{"platform", plat}, {"docker-exec", exec}} {
		fmt.Fprintf(&b, "| %s (%d runs) | %s | %s | %s |\n", p.name, len(p.rs),
			joinNs(p.rs), joinMicros(p.rs, "p50-µs"), joinMicros(p.rs, "p99-µs"))
	}

	// The per-run differences at the median, and the tails.
	var diffs []float64
	for i := range min(len(plat), len(exec)) {
		diffs = append(diffs, plat[i].Metrics["p50-µs"]-exec[i].Metrics["p50-µs"])
	}
	lo, hi := slices.Min(diffs)/1000, slices.Max(diffs)/1000
	fmt.Fprintf(&b, "\nThe platform adds about %s ms to a keystroke's round trip at the median (two websocket frames, three NATS messages — the input, its acknowledgement, the output — and the gateway and runner in between)", span(lo, hi))
	if maxOf(plat, "p99-µs") > maxOf(exec, "p99-µs") {
		fmt.Fprintf(&b, "; its tail is longer because the benchmark process, Kratos, Postgres and dockerd share the %d cores", m.Cores)
	}
	b.WriteString(".")
	if maxOf(plat, "p99-µs") < 50_000 {
		b.WriteString(" Both are far below what a typist notices (~50 ms).")
	}
	b.WriteString("\n")
	return b.String(), nil
}

func joinNs(rs []result) string {
	var s []string
	for _, r := range rs {
		s = append(s, grouped(r.Metrics["ns/op"]))
	}
	return strings.Join(s, " / ")
}

// joinMicros lists a metric over runs in one unit: ms when every value is
// a millisecond or more, else µs.
func joinMicros(rs []result, metric string) string {
	ms := true
	for _, r := range rs {
		ms = ms && r.Metrics[metric] >= 1000
	}
	var s []string
	for _, r := range rs {
		if ms {
			s = append(s, fmt.Sprintf("%.1f", r.Metrics[metric]/1000))
		} else {
			s = append(s, fmt.Sprintf("%.0f", r.Metrics[metric]))
		}
	}
	if ms {
		return strings.Join(s, " / ") + " ms"
	}
	return strings.Join(s, " / ") + " µs"
}

func maxOf(rs []result, metric string) float64 {
	m := 0.0
	for _, r := range rs {
		m = max(m, r.Metrics[metric])
	}
	return m
}

// span writes a range of milliseconds, or one value when both ends round
// alike.
func span(lo, hi float64) string {
	a, b := fmt.Sprintf("%.2f", lo), fmt.Sprintf("%.2f", hi)
	if a == b {
		return a
	}
	return a + "–" + b
}
