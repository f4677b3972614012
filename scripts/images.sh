#!/usr/bin/env bash
# Builds the platform's service images from the repo's Dockerfile with this
# machine's Docker engine:
#
#   scripts/images.sh [-t TAG] [-p PREFIX] [--push] [SERVICE...]
#
# Default: all five services, tagged dockeronline/<service>:dev. Each image
# is FROM scratch: one static binary, CA certificates, /etc/passwd, uid 65532.
#
# The Go builder (GO_IMAGE, the Dockerfile's build arg):
#   - GO_IMAGE set (e.g. golang:1.26.8-bookworm where a registry is
#     reachable): used as is;
#   - otherwise the local builder dockeronline/go-builder:<go version>, made
#     here FROM scratch from this machine's Go toolchain (go env GOROOT),
#     Debian's static busybox, the CA bundle and Debian's node-xterm (which
#     the gateway image serves), when it does not exist yet or is outdated
#     (REBUILD_BUILDER=1 forces it). No registry is needed.
# Module downloads happen inside the build, from GOPROXY (default: the Go
# module proxy).
#
# The five builds use one snapshot of the sources and share every stage but
# the last: the first compiles all services, the other four take seconds.
# Timings go to stderr.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export PATH=$PATH:/usr/local/go/bin

ALL=(gateway auth runner provisioner proxy)
TAG=${TAG:-dev}
PREFIX=${IMAGE_PREFIX:-dockeronline}
PUSH=0
services=()
while [[ $# -gt 0 ]]; do
	case $1 in
	-t | --tag) TAG=$2; shift 2 ;;
	-p | --prefix) PREFIX=$2; shift 2 ;;
	--push) PUSH=1; shift ;;
	-h | --help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "images: unknown option $1" >&2; exit 2 ;;
	*) services+=("$1"); shift ;;
	esac
done
[[ ${#services[@]} -gt 0 ]] || services=("${ALL[@]}")
for s in "${services[@]}"; do
	if [[ ! " ${ALL[*]} " == *" $s "* ]]; then
		echo "images: unknown service $s (want: ${ALL[*]})" >&2
		exit 2
	fi
	if [[ ! -f services/$s/cmd/$s/main.go ]]; then
		echo "images: services/$s/cmd/$s/main.go does not exist: $s has no main yet" >&2
		exit 1
	fi
done

command -v docker >/dev/null || { echo "images: docker not found" >&2; exit 1; }
# Without buildx the CLI falls back to the classic builder, which this
# Dockerfile is written for; with it, BuildKit works too.
docker buildx version >/dev/null 2>&1 || export DOCKER_BUILDKIT=0

t0=$SECONDS
elapsed() { echo "$((SECONDS - $1))s"; }

# build_builder makes dockeronline/go-builder:<version> FROM scratch. The
# context is a tar stream of the toolchain, busybox and the CA bundle, read
# in place (nothing is copied to disk).
build_builder() {
	local image=$1 goroot busybox certs
	goroot=$(go env GOROOT)
	busybox=$(command -v busybox || true)
	certs=/etc/ssl/certs/ca-certificates.crt
	# The image has no libc: busybox must be Debian's static one.
	if [[ -z $busybox || $(ldd "$busybox" 2>&1 || true) != *"not a dynamic executable"* ]]; then
		echo "images: a static busybox is needed for the Go builder image: apt-get install busybox-static" >&2
		exit 1
	fi
	[[ -f $certs ]] || { echo "images: $certs not found: apt-get install ca-certificates" >&2; exit 1; }
	# xterm.js for the gateway image: Debian's node-xterm, whose addons
	# link to libjs-xterm's files (both kept, links intact).
	local xterm=(usr/share/nodejs/xterm usr/share/javascript/xterm)
	for d in "${xterm[@]}"; do
		[[ -d /$d ]] || { echo "images: /$d not found: apt-get install node-xterm (the gateway serves xterm.js from it)" >&2; exit 1; }
	done
	[[ -f /usr/share/doc/node-xterm/copyright ]] && xterm+=(usr/share/doc/node-xterm/copyright)
	busybox=$(readlink -f "$busybox")
	goroot=$(readlink -f "$goroot")
	echo "== $image (from $goroot, $busybox, /usr/share/nodejs/xterm)" >&2
	local t=$SECONDS
	tar -c --owner=0 --group=0 --numeric-owner \
		--transform="s,^${goroot#/},go," \
		--transform="s,^${busybox#/}\$,busybox," \
		--transform="s,^${certs#/}\$,ca-certificates.crt," \
		--transform='s,^usr/share/,share/,' \
		--transform='s,^go-builder.Dockerfile$,Dockerfile,' \
		-C "$ROOT/deploy/docker" go-builder.Dockerfile \
		-C / --exclude="${goroot#/}/test" "${busybox#/}" "${certs#/}" "${goroot#/}" "${xterm[@]}" |
		docker build -q -t "$image" - >/dev/null
	echo "   built in $(elapsed "$t")" >&2
}

if [[ -z ${GO_IMAGE:-} ]]; then
	version=$(go env GOVERSION)
	version=${version#go}
	GO_IMAGE=dockeronline/go-builder:$version
	# Rebuilt when asked, missing, or made by an older go-builder.Dockerfile.
	want=$(sed -n 's/^LABEL org.dockeronline.go-builder="\(.*\)"$/\1/p' "$ROOT/deploy/docker/go-builder.Dockerfile")
	have=$(docker image inspect -f '{{index .Config.Labels "org.dockeronline.go-builder"}}' "$GO_IMAGE" 2>/dev/null || true)
	if [[ ${REBUILD_BUILDER:-0} == 1 || $have != "$want" ]]; then
		build_builder "$GO_IMAGE"
	fi
fi

revision=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)

# One snapshot of the build context for all five builds: the same code in
# every image even while someone edits the tree, and identical contexts make
# every stage but the last a cache hit after the first build. What is copied
# is what .dockerignore lets in (its "!path" lines) plus the two files.
snap=$(mktemp -d)
trap 'rm -rf "$snap"' EXIT
mapfile -t include < <(sed -n 's/^!\([^*?[]*\)$/\1/p' .dockerignore)
[[ ${#include[@]} -gt 0 ]] || { echo "images: .dockerignore lets nothing in" >&2; exit 1; }
tar -c Dockerfile .dockerignore "${include[@]}" | tar -x -C "$snap"

for s in "${services[@]}"; do
	image=$PREFIX/$s:$TAG
	echo "== $image (GO_IMAGE=$GO_IMAGE)" >&2
	t=$SECONDS
	log=$(mktemp)
	if ! docker build -f "$snap/Dockerfile" \
		--build-arg "GO_IMAGE=$GO_IMAGE" \
		--build-arg "SERVICE=$s" \
		--build-arg "REVISION=$revision" \
		${GOPROXY:+--build-arg "GOPROXY=$GOPROXY"} \
		-t "$image" "$snap" >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		echo "images: building $image failed" >&2
		exit 1
	fi
	rm -f "$log"
	echo "   built in $(elapsed "$t")" >&2
	if [[ $PUSH == 1 ]]; then
		docker push "$image"
	fi
done
echo "images: ${services[*]} in $(elapsed "$t0")" >&2
