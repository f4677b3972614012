#!/usr/bin/env bash
# Every check of `make test`, in order, with a summary at the end:
#   gofmt; for every module in go.work: build and vet alone (GOWORK=off, as
#   its own go.mod must allow); then go test for every module.
# Modules are read from go.work, so a new module is picked up by itself.
# Full `go test -v` output is kept in test-output/<module>.log.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export KRATOS_BIN=${KRATOS_BIN:-$ROOT/bin/kratos}
OUT=$ROOT/test-output
rm -rf "$OUT" && mkdir -p "$OUT"
# Browser tests save their screenshots here, so CI keeps them.
export TEST_OUTPUT_DIR=$OUT

summary=()
failed=0
record() { # record STATUS WHAT
	summary+=("$1  $2")
	[[ $1 == PASS ]] || failed=1
}

mapfile -t modules < <(go list -m -f '{{.Dir}}' | sed "s|^$ROOT/||")
if [[ ${#modules[@]} -eq 0 ]]; then
	echo "test: no modules in go.work" >&2
	exit 1
fi

echo "== gofmt"
unformatted=$(gofmt -l "${modules[@]}")
if [[ -z $unformatted ]]; then record PASS gofmt; else
	echo "not gofmt-ed (run gofmt -w):"
	echo "$unformatted"
	record FAIL gofmt
fi

# has_packages MODULE: false for a module that has only a go.mod so far
# (go vet and go test fail on "no packages").
has_packages() { [[ -n $(cd "$1" && GOWORK=off go list ./... 2>/dev/null) ]]; }

for m in "${modules[@]}"; do
	echo "== build + vet $m (GOWORK=off)"
	if ! has_packages "$m"; then record PASS "build+vet $m (no packages yet)"; continue; fi
	if (cd "$m" && GOWORK=off go build ./... && GOWORK=off go vet ./...); then
		record PASS "build+vet $m"
	else record FAIL "build+vet $m"; fi
done

passed=0 fails=0 skipped=0
for m in "${modules[@]}"; do
	[[ $m == faults ]] && continue # its own stage below
	echo "== go test $m"
	if ! has_packages "$m"; then record PASS "test $m (no packages yet)"; continue; fi
	log=$OUT/$(echo "$m" | tr / _).log
	# -v gives per-test lines to count; the RUN/PAUSE/CONT noise is only
	# kept in the log file.
	go test -count=1 -timeout 40m -v "./$m/..." 2>&1 | tee "$log" | grep --line-buffered -v -E '^\s*=== (RUN|PAUSE|CONT|NAME)'
	status=${PIPESTATUS[0]}
	passed=$((passed + $(grep -c -E '^\s*--- PASS' "$log")))
	fails=$((fails + $(grep -c -E '^\s*--- FAIL' "$log")))
	skipped=$((skipped + $(grep -c -E '^\s*--- SKIP' "$log")))
	if [[ $status -eq 0 ]]; then record PASS "test $m"; else record FAIL "test $m (log: ${log#"$ROOT"/})"; fi
done

# The fault suite's bounded form (docs/FAULTS.md; make test-faults runs it all).
if [[ -d faults ]]; then
	echo "== fault suite, bounded (faults/)"
	log=$OUT/faults.log
	FAULTS_LOG_DIR=$OUT/faults go test -count=1 -timeout 15m -v ./faults/... 2>&1 | tee "$log" |
		grep --line-buffered -E '^\s*(--- |ok|FAIL|panic)|measured:|checked:'
	status=${PIPESTATUS[0]}
	passed=$((passed + $(grep -c -E '^\s*--- PASS' "$log")))
	fails=$((fails + $(grep -c -E '^\s*--- FAIL' "$log")))
	sed -n '/== fault suite measurements/,/^$/p' "$log"
	if [[ $status -eq 0 ]]; then record PASS "faults (bounded)"; else record FAIL "faults (bounded) (log: test-output/faults.log)"; fi
fi

# Fuzz targets run for a bounded time each (FUZZTIME, default 10s): long
# enough to catch regressions of the invariants they check, short enough
# for CI. `go test -fuzz` takes one target and one package at a time.
#
# Go 1.26's fuzz coordinator can fail a run with a bare "context deadline
# exceeded" at the -fuzztime boundary when a worker is mid-call
# (golang/go#75804, fixed in Go 1.27): no input failed, and none is
# written. A real failure always writes its input to testdata/fuzz/<name>/,
# so a run fails on that (or on any other error); the deadline race alone
# is retried once and reported as such.
FUZZTIME=${FUZZTIME:-10s}
# fuzz_once DIR NAME LOG: run one fuzz target; 0 pass, 1 real failure,
# 2 the coordinator's deadline race with no failing input written.
fuzz_once() {
	local dir=$1 name=$2 log=$3 corpus before after
	corpus=$dir/testdata/fuzz/$name
	before=$(find "$corpus" -type f 2>/dev/null | wc -l)
	(cd "$dir" && go test -run '^$' -fuzz "^$name\$" -fuzztime "$FUZZTIME" . >"$log" 2>&1) && return 0
	after=$(find "$corpus" -type f 2>/dev/null | wc -l)
	if [[ $after -eq $before ]] && grep -q '^    context deadline exceeded$' "$log" &&
		[[ $(grep -c -E '^\s*--- FAIL' "$log") -eq 1 ]]; then
		return 2
	fi
	return 1
}
while IFS=: read -r file line; do
	name=$(sed -n "${line}p" "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/')
	dir=$(dirname "$file")
	log=$OUT/fuzz-$name.log
	echo "== fuzz $name ($dir, $FUZZTIME)"
	fuzz_once "$dir" "$name" "$log"
	status=$?
	if [[ $status -eq 2 ]]; then
		echo "fuzz $name: Go's fuzz coordinator hit its deadline race (golang/go#75804, no failing input); running it again"
		mv "$log" "$log.deadline-race"
		fuzz_once "$dir" "$name" "$log"
		status=$?
	fi
	if [[ $status -eq 0 ]]; then
		record PASS "fuzz $name"
	else
		tail -20 "$log"
		record FAIL "fuzz $name (log: test-output/fuzz-$name.log)"
	fi
done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(' "${modules[@]}" | cut -d: -f1,2)

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
echo "tests: $passed passed, $fails failed, $skipped skipped"
exit $failed
