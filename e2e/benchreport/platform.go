package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// side is one path of a side-by-side benchmark.
type side struct{ sub, path string }

// pair is a benchmark whose two sub-benchmarks are the platform's path and
// the limit it cannot beat.
type pair struct {
	bench, what, short string
	platform, limit    side
}

var pairs = []pair{
	{"BenchmarkContainerCreate", "container create + start (busybox `sleep`; the two paths take turns)", "Create + start",
		side{"platform", "platform: `POST /api/v1/containers` (gateway → NATS → runner: policy, quota, create, start, inspect)"},
		side{"docker", "limit: Engine API `ContainerCreate` + `ContainerStart`, the same limits and network"}},
	{"BenchmarkBusRoundTrip", "command round trip (a 14-byte JSON command)", "Command round trip",
		side{"bus", "platform: `pkg/bus` publisher → `bus.Serve` go-kit subscriber"},
		side{"bare", "limit: bare `nc.Request` → `nc.Subscribe` responder, the same payload"}},
}

// listSides are BenchmarkContainerList's sub-benchmarks.
var listSides = []side{
	{"cached", "session cache warm (`AUTH_SESSION_CACHE_TTL=10s`, the default)"},
	{"uncached", "no session cache (`AUTH_SESSION_CACHE_TTL=0s`: Kratos checks every request)"},
}

// pick returns the run with the median ns/op and the range of ops/s over
// every run.
func pick(rs []result) (r result, lo, hi float64) {
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b result) int { return cmp.Compare(a.Metrics["ns/op"], b.Metrics["ns/op"]) })
	return s[len(s)/2], 1e9 / s[len(s)-1].Metrics["ns/op"], 1e9 / s[0].Metrics["ns/op"]
}

type platformInput struct {
	Results    []result
	Date       string
	Machine    machine
	Commands   []string
	LoadBefore string
	LoadAfter  string
	Elapsed    string
}

// platformSection is the body of the "Platform" section.
func platformSection(in platformInput) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured by `make bench` (the benchmarks in `e2e/bench_platform_test.go`, %s in all) on %s: %s, %d cores, %s, Docker %s.\n\n",
		in.Elapsed, in.Date, in.Machine.CPU, in.Machine.Cores, in.Machine.Go, in.Machine.Docker)
	b.WriteString("The whole platform runs in the benchmark process (gateway, auth, runner, an embedded NATS server) beside Kratos, Postgres and dockerd, all on this machine's cores; spans are made as a service makes them without an OTLP endpoint. Both paths of an operation are measured in the same run; ns/op is the mean (ops/s is one over it), so the shared machine's stalls weigh on it more than on p50.\n\n")
	fmt.Fprintf(&b, "Load average (1 min) before these benchmarks: %s, after: %s. On a shared machine compare the rows of one run, not runs.\n\n", in.LoadBefore, in.LoadAfter)

	b.WriteString("| operation | path | runs × iterations (median run) | ns/op | ops/s | p50 | p99 | platform / limit |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|\n")
	var notes []string
	for _, p := range pairs {
		pr, plo, phi := pick2(runs(in.Results, p.bench+"/"+p.platform.sub))
		lr, llo, lhi := pick2(runs(in.Results, p.bench+"/"+p.limit.sub))
		if pr.Name == "" || lr.Name == "" {
			return "", fmt.Errorf("no results for %s/{%s,%s}", p.bench, p.platform.sub, p.limit.sub)
		}
		np := len(runs(in.Results, pr.Name))
		nl := len(runs(in.Results, lr.Name))
		pr.N, lr.N = samples(pr), samples(lr)
		ratio := pr.Metrics["ns/op"] / lr.Metrics["ns/op"]
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | **%.2f×** |\n", p.what, p.platform.path,
			count(np, pr.N), grouped(pr.Metrics["ns/op"]), opsRange(pr, np, plo, phi), micros(pr.Metrics["p50-µs"]), micros(pr.Metrics["p99-µs"]), ratio)
		fmt.Fprintf(&b, "| | %s | %s | %s | %s | %s | %s | |\n", p.limit.path,
			count(nl, lr.N), grouped(lr.Metrics["ns/op"]), opsRange(lr, nl, llo, lhi), micros(lr.Metrics["p50-µs"]), micros(lr.Metrics["p99-µs"]))
		note := fmt.Sprintf("%s: the platform adds %s at the median", p.short, added(pr.Metrics["p50-µs"]-lr.Metrics["p50-µs"]))
		if pr.N < 100 || lr.N < 100 {
			note += "; with fewer than 100 samples, p99 is the slowest one"
		}
		notes = append(notes, note+".")
	}
	b.WriteString("\n")
	for _, n := range notes {
		b.WriteString("- " + n + "\n")
	}

	// The load's settings are listConns, listDuration and listBoxes in
	// e2e/bench_platform_test.go.
	b.WriteString("\nAn authenticated `GET /api/v1/containers` (the user has 2 containers) under load: wrk `-t2 -c32 -d5s --latency`, a separate process, keep-alive, `Authorization: Bearer <session token>`, after a warm-up run. Each request is checked by the auth service over NATS, then listed by the runner over NATS from Docker. The gateway's per-user API rate limit (20 calls a second by default) is raised out of reach for the benchmark's one user. Each row starts its own platform, since the cache is the auth service's setting.\n\n")
	b.WriteString("| session check | requests/s | p50 | p99 | failed requests |\n|---|---:|---:|---:|---:|\n")
	var rps []float64
	for _, s := range listSides {
		rs := runs(in.Results, "BenchmarkContainerList/"+s.sub)
		if len(rs) == 0 {
			return "", fmt.Errorf("no results for BenchmarkContainerList/%s", s.sub)
		}
		r, _, _ := pick(rs)
		rps = append(rps, r.Metrics["req/s"])
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s of %s |\n", s.path, grouped(r.Metrics["req/s"]), micros(r.Metrics["p50-µs"]), micros(r.Metrics["p99-µs"]),
			grouped(r.Metrics["failed"]), grouped(r.Metrics["requests"]))
	}
	if rps[1] > 0 {
		fmt.Fprintf(&b, "\nWith the session cache the gateway serves %.1f× the requests a second of asking Kratos every time.\n", rps[0]/rps[1])
	}

	b.WriteString("\nThese benchmarks alone, as `make bench` runs them:\n\n```\n")
	for _, c := range in.Commands {
		b.WriteString(c + "\n")
	}
	b.WriteString("```\n")
	return b.String(), nil
}

// pick2 is pick that tolerates no runs (the caller reports them missing).
func pick2(rs []result) (result, float64, float64) {
	if len(rs) == 0 {
		return result{}, 0, 0
	}
	return pick(rs)
}

// samples is how many operations a result measured: the framework's N, or
// what the benchmark timed itself and reported as samples.
func samples(r result) int {
	if v, ok := r.Metrics["samples"]; ok {
		return int(v)
	}
	return r.N
}

func count(runs, n int) string {
	return fmt.Sprintf("%d × %s", runs, grouped(float64(n)))
}

// opsRange is the chosen run's ops/s, with the range over runs when there
// were several.
func opsRange(r result, runs int, lo, hi float64) string {
	s := rate(1e9 / r.Metrics["ns/op"])
	if runs > 1 {
		s += fmt.Sprintf(" (%s–%s)", rate(lo), rate(hi))
	}
	return s
}

// added says how much longer the platform's path took; noise can make it
// negative.
func added(us float64) string {
	if us <= 0 {
		return "nothing measurable"
	}
	return micros(us)
}
