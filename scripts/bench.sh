#!/usr/bin/env bash
# `make bench`: every benchmark of the project in one run on this machine,
# each path side by side with its limit, then docs/BENCHMARKS.md rewritten
# from the results:
#   1. the platform benchmarks (e2e/bench_platform_test.go): container
#      create+start through the API vs the Engine API, a command through
#      the platform's bus vs a bare NATS request, an authenticated list
#      under wrk with and without the session cache;
#   2. the proxy benchmark (scripts/bench-proxy.sh, which writes the
#      "Proxy" section itself);
#   3. the terminal echo benchmark (e2e/bench_terminal_test.go);
#   3b. gVisor's overhead against runc (services/proxy/bench/runtime_test.go,
#      which writes the "gVisor overhead" section itself): create + start, a
#      system-call loop, the proxy in front of an app under each runtime;
#   3c. builds through the platform (standalone BuildKit) vs `docker build`
#      on the raw engine, cold and cached (e2e/bench_build_test.go, which
#      writes the "Builds" section itself);
#   4. e2e/benchreport writes the header (machine, date, this command), the
#      "Platform" and the "Terminal" sections; text outside the sections'
#      markers is left alone.
# About seven minutes on 2 cores. Run only one at a time: the benchmarks
# share the machine's cores with Docker, Postgres and Kratos. Raw outputs
# stay in test-output/bench/.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export PATH=$PATH:/usr/local/go/bin
export KRATOS_BIN=${KRATOS_BIN:-$ROOT/bin/kratos}
OUT=$ROOT/test-output/bench
rm -rf "$OUT" && mkdir -p "$OUT"

load1() { cut -d' ' -f1 /proc/loadavg; }
since() { # since START_SECONDS: elapsed time as 4m12s
	local s=$(($(date +%s) - $1))
	printf '%dm%02ds' $((s / 60)) $((s % 60))
}

started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
t0=$(date +%s)
load_before=$(load1)
echo "== bench: load average (1 min) $load_before"

# One test binary for every e2e benchmark: built once, it is run as
# `go test` would run it (in its package's directory).
echo "== build the e2e test binary"
go test -c -o "$OUT/e2e.test" ./e2e
e2e() { # e2e ARGS...: run the e2e benchmarks binary, no tests
	(cd "$ROOT/e2e" && "$OUT/e2e.test" -test.run '^$' -test.timeout 20m "$@")
}

# -benchtime per benchmark keeps the whole run near five minutes. The
# create and list benchmarks size themselves (20 interleaved creates a
# path, about half a second each here; one wrk run a sub-benchmark) and
# want 1x; a bus round trip takes some tens of µs.
platform=(
	"BenchmarkContainerCreate$ 1x 1"
	"BenchmarkBusRoundTrip$ 2s 3"
	"BenchmarkContainerList$ 1x 1"
)
plat_cmds=()
plat_t0=$(date +%s)
plat_load_before=$(load1)
for spec in "${platform[@]}"; do
	read -r bench benchtime count <<<"$spec"
	cmd="go test ./e2e -run '^\$' -bench '$bench' -benchtime $benchtime -count $count"
	echo "== $cmd"
	plat_cmds+=(-platform-cmd "$cmd")
	e2e -test.bench "$bench" -test.benchtime "$benchtime" -test.count "$count" 2>&1 | tee -a "$OUT/platform.txt"
done
plat_load_after=$(load1)
plat_elapsed=$(since "$plat_t0")

echo "== scripts/bench-proxy.sh"
scripts/bench-proxy.sh 2>&1 | tee "$OUT/proxy.txt"

echo "== gVisor overhead (BenchmarkRuntimes)"
(cd services/proxy && BENCH_MARKDOWN="$ROOT/docs/BENCHMARKS.md" \
	go test ./bench -run '^$' -bench '^BenchmarkRuntimes$' -benchtime 1x -count 1 -timeout 10m -v) 2>&1 | tee "$OUT/runtime.txt"

term_cmd="go test ./e2e -run '^\$' -bench BenchmarkTerminalEcho -benchtime 5000x -count 3"
echo "== $term_cmd"
e2e -test.bench BenchmarkTerminalEcho -test.benchtime 5000x -test.count 3 2>&1 | tee "$OUT/terminal.txt"

# 3c. builds: the platform on standalone BuildKit vs `docker build` on the
# raw engine, cold and cached (e2e/bench_build_test.go writes the "Builds"
# section itself).
build_cmd="go test ./e2e -run '^\$' -bench 'BenchmarkBuild\$' -benchtime 1x"
echo "== $build_cmd"
BUILDKITD_BIN=${BUILDKITD_BIN:-$ROOT/bin/buildkitd} BENCH_MARKDOWN="$ROOT/docs/BENCHMARKS.md" \
	e2e -test.bench 'BenchmarkBuild$' -test.benchtime 1x -test.count 1 2>&1 | tee "$OUT/build.txt"

load_after=$(load1)
elapsed=$(since "$t0")
echo "== write docs/BENCHMARKS.md"
go run ./e2e/benchreport -doc docs/BENCHMARKS.md \
	-platform "$OUT/platform.txt" -terminal "$OUT/terminal.txt" -terminal-cmd "$term_cmd" \
	"${plat_cmds[@]}" -platform-elapsed "$plat_elapsed" \
	-platform-load-before "$plat_load_before" -platform-load-after "$plat_load_after" \
	-command "make bench" -started "$started" -elapsed "$elapsed" \
	-load-before "$load_before" -load-after "$load_after"
rm -f "$OUT/e2e.test" # ~70 MB; the outputs beside it stay
echo "== bench: done in $elapsed; load average (1 min) $load_before → $load_after"
