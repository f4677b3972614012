#!/usr/bin/env bash
# Benchmarks the web-link proxy against a container reached directly and
# against nginx with an equivalent configuration (wrk: requests/s, p50/p99),
# and times container start → route live. Writes the "Proxy" section of
# docs/BENCHMARKS.md (between <!-- proxy:begin --> and <!-- proxy:end -->).
# Needs Docker; installs Debian's wrk, nginx and busybox-static if missing.
# About a minute and a half, loopback only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

missing=()
for p in wrk nginx busybox-static; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[[ $status == installed ]] || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
	sudo=""
	[[ $(id -u) -eq 0 ]] || sudo=sudo
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -q
	$sudo apt-get install -y -q "${missing[@]}"
fi

cd "$root/services/proxy"
BENCH_MARKDOWN="$root/docs/BENCHMARKS.md" \
	go test ./bench -run '^$' -bench '^BenchmarkProxy$' -benchtime 1x -count 1 -timeout 10m -v
