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
FUZZTIME=${FUZZTIME:-10s}
while IFS=: read -r file line; do
	name=$(sed -n "${line}p" "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/')
	dir=$(dirname "$file")
	echo "== fuzz $name ($dir, $FUZZTIME)"
	if (cd "$dir" && go test -run '^$' -fuzz "^$name\$" -fuzztime "$FUZZTIME" . >"$OUT/fuzz-$name.log" 2>&1); then
		record PASS "fuzz $name"
	else
		tail -20 "$OUT/fuzz-$name.log"
		record FAIL "fuzz $name (log: test-output/fuzz-$name.log)"
	fi
done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(' "${modules[@]}" | cut -d: -f1,2)

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
echo "tests: $passed passed, $fails failed, $skipped skipped"
exit $failed
