package bench

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/dockertest"
)

// BenchmarkRuntimes measures what gVisor (runsc, ptrace platform, as
// scripts/register-runsc.sh registers it) costs against runc, in one run:
// create + start of a busybox container with the platform's limits, a
// system-call-heavy loop timed inside the container, and the proxy in
// front of a busybox httpd app running under each. It writes the "gVisor
// overhead" section of docs/BENCHMARKS.md (between <!-- runtime:begin -->
// and <!-- runtime:end -->) when BENCH_MARKDOWN names it. Run:
//
//	go test ./bench -run '^$' -bench '^BenchmarkRuntimes$' -benchtime 1x
//
// Needs Docker with runsc registered (make deps), wrk and busybox-static.
func BenchmarkRuntimes(b *testing.B) {
	runtimesOnce.Do(func() { runRuntimes(b) }) // one measured run, whatever b.N
}

var runtimesOnce sync.Once

const (
	runtimeStartRounds = 10     // create + start samples per runtime
	loopRounds         = 3      // syscall loops per runtime
	loopCount          = 100000 // dd records: a read and a write each
	// runtimeConns is wrk's connections for the proxy rows. busybox httpd
	// forks a process per connection, and under runsc's ptrace platform
	// each costs ~20 host tasks that the pids limit counts: hence the
	// runner's own pids limit for runsc (RUNNER_RUNSC_PIDS_LIMIT, 1024).
	runtimeConns = 8
	runtimeBegin = "<!-- runtime:begin -->"
	runtimeEnd   = "<!-- runtime:end -->"
)

var benchRuntimes = []string{"runc", "runsc"}

// platformHost is the host config the runner gives a user's container by
// default (limits, no-new-privileges), under runtime rt: runsc containers
// get the runner's runsc pids limit (policy.Engine.ApplyRuntime).
func platformHost(rt string) *container.HostConfig {
	pids := int64(256)
	if rt == "runsc" {
		pids = 1024
	}
	return &container.HostConfig{
		Runtime:     rt,
		SecurityOpt: []string{"no-new-privileges:true"},
		Resources:   container.Resources{Memory: 256 << 20, MemorySwap: 256 << 20, NanoCPUs: 5e8, PidsLimit: &pids},
	}
}

func runRuntimes(b *testing.B) {
	began := time.Now()
	r := newRig(b)
	ctx := context.Background()
	info, err := r.cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if _, ok := info.Info.Runtimes["runsc"]; !ok {
		b.Fatal("dockerd has no runsc runtime: run make deps (scripts/register-runsc.sh)")
	}
	img := dockertest.BusyboxImage(b, r.cli)
	loadBefore := loadAvg()

	// Create + start, the runtimes taking turns; removal is not timed.
	starts := map[string][]time.Duration{}
	for i := 0; i < runtimeStartRounds; i++ {
		for _, rt := range benchRuntimes {
			t0 := time.Now()
			id := r.createWith(fmt.Sprintf("%s-start%02d", rt, i), img, []string{"sleep", "600"}, platformHost(rt))
			if _, err := r.cli.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
				b.Fatalf("start under %s: %v", rt, err)
			}
			starts[rt] = append(starts[rt], time.Since(t0))
			_, _ = r.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true})
		}
	}

	// The loop is timed inside the container (/proc/uptime, 10 ms steps),
	// so start-up is not in it: dd copies loopCount single bytes, one
	// read(2) and one write(2) each.
	loops := map[string][]time.Duration{}
	script := fmt.Sprintf(`read a _ < /proc/uptime; dd if=/dev/zero of=/dev/null bs=1 count=%d 2>/dev/null; read b _ < /proc/uptime; echo "uptime $a $b"`, loopCount)
	for i := 0; i < loopRounds; i++ {
		for _, rt := range benchRuntimes {
			id := r.createWith(fmt.Sprintf("%s-loop%d", rt, i), img, []string{"sh", "-c", script}, platformHost(rt))
			if _, err := r.cli.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
				b.Fatalf("start under %s: %v", rt, err)
			}
			loops[rt] = append(loops[rt], r.uptimeSpan(id))
		}
	}

	// The proxy in front of the same app under each runtime.
	_, proxyPort, _ := net.SplitHostPort(r.addr)
	type target struct{ rt, path, url, host string }
	var targets []target
	for _, rt := range benchRuntimes {
		name := "app-" + rt
		id := r.createWith(name, img, []string{"sh", "-c", `mkdir -p /www && head -c 512 /dev/zero | tr '\0' x > /www/index.html && exec httpd -f -p 80 -h /www`}, platformHost(rt))
		ip := r.start(id)
		if !waitListening(net.JoinHostPort(ip, "80"), 30*time.Second) {
			b.Fatalf("%s does not listen on 80", name)
		}
		r.route(id, name, ip, 80)
		targets = append(targets,
			target{rt, "direct to the container", "http://" + net.JoinHostPort(ip, "80") + "/", ""},
			target{rt, "through this proxy", "http://127.0.0.1:" + proxyPort + "/", name + "--" + user + "." + domain + ":" + proxyPort})
	}
	for _, tg := range targets {
		r.expectOK(tg.url, tg.host)
		runWrk(b, tg.url, tg.host, time.Second, runtimeConns) // warm-up
	}
	results := make([][]wrkResult, len(targets))
	for round := 0; round < wrkRounds; round++ {
		for i, tg := range targets {
			res := runWrk(b, tg.url, tg.host, wrkDuration, runtimeConns)
			b.Logf("round %d  %-6s %-24s %9.0f req/s  p50 %-9s p99 %-9s %s", round+1, tg.rt, tg.path, res.RPS, fmtDur(res.P50), fmtDur(res.P99), res.Errors)
			results[i] = append(results[i], res)
		}
	}
	loadAfter := loadAvg()

	var md bytes.Buffer
	fmt.Fprintf(&md, "Measured by `BenchmarkRuntimes` (`services/proxy/bench/runtime_test.go`, run by `make bench`) on %s: %s, %d CPUs, %s, Docker %s, runsc from Debian's `runsc` package with `--platform=ptrace --network=host` (as `make deps` registers it; there is no KVM here).\n\n",
		time.Now().UTC().Format("2006-01-02"), cpuModel(), runtime.NumCPU(), runtime.Version(), r.dockerVersion())
	md.WriteString("Every container has the limits the runner gives a user's container by default (256 MB, 0.5 CPU, no-new-privileges; 256 pids under runc, 1024 under runsc: under gVisor's ptrace platform the pids limit counts the sandbox's host tasks, about 20 for each guest process of a forking httpd, and with 256 a runsc httpd died at 8 concurrent connections) on a bridge network of its own; the two runtimes take turns, so load on the shared machine hits both alike. ")
	fmt.Fprintf(&md, "Load average (1 min) before: %s, after: %s.\n\n", loadBefore, loadAfter)
	md.WriteString("| measure | runc | runsc | runsc / runc |\n|---|---:|---:|---:|\n")
	sp50c, sp95c := pctPair(starts["runc"])
	sp50s, sp95s := pctPair(starts["runsc"])
	fmt.Fprintf(&md, "| create + start, busybox `sleep` (Engine API; p50 / p95 of %d) | %s / %s | %s / %s | **%.1f×** |\n",
		runtimeStartRounds, fmtDur(sp50c), fmtDur(sp95c), fmtDur(sp50s), fmtDur(sp95s), float64(sp50s)/float64(sp50c))
	lc, ls := median(loops["runc"]), median(loops["runsc"])
	calls := float64(2 * loopCount)
	fmt.Fprintf(&md, "| system-call loop inside: `dd if=/dev/zero of=/dev/null bs=1 count=%d` (%.0f system calls; median of %d) | %s (%.2f µs a call) | %s (%.2f µs a call) | **%.0f×** |\n",
		loopCount, calls, loopRounds, fmtDur(lc), float64(lc.Microseconds())/calls, fmtDur(ls), float64(ls.Microseconds())/calls, float64(ls)/float64(max(lc, time.Millisecond)))
	fmt.Fprintf(&md, "\nThe web-link proxy in front of busybox httpd (no keep-alive: each request is a new connection to the app) under each runtime: wrk `-t2 -c%d -d%s --latency`, %d rounds interleaving the targets after a 1 s warm-up each; median round and range of requests/s.\n\n", runtimeConns, wrkDuration, wrkRounds)
	md.WriteString("| app runtime | path | requests/s (median) | range over rounds | p50 | p99 | errors |\n|---|---|---:|---:|---:|---:|---|\n")
	for i, tg := range targets {
		med, lo, hi, errs := summarize(results[i])
		fmt.Fprintf(&md, "| %s | %s | %.0f | %.0f–%.0f | %s | %s | %s |\n", tg.rt, tg.path, med.RPS, lo, hi, fmtDur(med.P50), fmtDur(med.P99), errs)
	}
	fmt.Fprintf(&md, "\nWhole run: %s.\n", time.Since(began).Round(time.Second))
	fmt.Println(md.String())
	if path := os.Getenv("BENCH_MARKDOWN"); path != "" {
		old, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(spliceNamed(string(old), runtimeBegin, runtimeEnd, "gVisor overhead", md.String())), 0o644); err != nil {
			b.Fatal(err)
		}
		b.Logf("wrote %s", path)
	}
}

// uptimeSpan waits for the loop container to exit and returns the time it
// printed ("uptime <before> <after>", seconds of /proc/uptime).
func (r *rig) uptimeSpan(id string) time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w := r.cli.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case <-w.Result:
	case err := <-w.Error:
		r.tb.Fatalf("wait for the loop: %v", err)
	}
	out, errOut := dockertest.Logs(r.tb, r.cli, id)
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "uptime" {
			a, err1 := strconv.ParseFloat(f[1], 64)
			b, err2 := strconv.ParseFloat(f[2], 64)
			if err1 == nil && err2 == nil {
				return time.Duration((b - a) * float64(time.Second))
			}
		}
	}
	r.tb.Fatalf("the loop printed no times: %q %q", out, errOut)
	return 0
}

func pctPair(ds []time.Duration) (p50, p95 time.Duration) {
	p50, p95, _ = pct(ds)
	return p50, p95
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
