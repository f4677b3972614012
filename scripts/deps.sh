#!/usr/bin/env bash
# Installs the Debian packages the platform and its tests need, only those
# missing, so that a second run costs a second: `apt-get update` runs only
# when something has to be installed.
set -euo pipefail

# postgresql: the database (make run, pkg/testenv); busybox-static: the
# static busybox baked into test images (no registry here); openssh-server:
# a real sshd for the provisioner's tests; chromium: browser tests; wrk: load
# tests; nginx: front proxy tests; curl: health checks in scripts/run.sh;
# node-xterm: xterm.js for the browser terminal (served by the gateway);
# prometheus: promtool, which checks the deployment's rules and queries;
# runsc: gVisor, the stronger runtime the policy may give users (below).
packages=(postgresql busybox-static openssh-server chromium node-xterm wrk nginx curl prometheus runsc)
# nftables: nft, with which the runner installs its tenant firewall
# (services/runner/isolation).
packages+=(nftables)
# runc and containernetworking-plugins: standalone BuildKit's OCI worker runs
# each RUN step with runc in its own network namespace, on a CNI bridge
# (deploy/buildkit/cni.json); without the plugins it would use the host's.
packages+=(runc containernetworking-plugins)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[[ $status == installed ]] || missing+=("$p")
done
sudo=""
[[ $(id -u) -eq 0 ]] || sudo=sudo
if [[ ${#missing[@]} -gt 0 ]]; then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -q
	$sudo apt-get install -y -q "${missing[@]}"
fi

$sudo "$(dirname "${BASH_SOURCE[0]}")/register-runsc.sh"
