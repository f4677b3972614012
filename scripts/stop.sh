#!/usr/bin/env bash
# Stops what scripts/run.sh started (make stop), newest first, using the pid
# files in var/run. Data in var/ is kept. A pid file whose process is gone, or
# now belongs to another program, is just removed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

# alive PID: running, and not a zombie waiting for a (slow) init to reap it.
alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	[[ ${stat##*) } != Z* ]]
}

# stop NAME PROGRAM SIGNAL
stop() {
	local name=$1 prog=$2 sig=$3 file=$VAR/run/$1.pid pid
	[[ -f $file ]] || return 0
	pid=$(cat "$file")
	# The kernel truncates comm to 15 characters.
	if [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "${prog:0:15}" ]]; then
		kill "-$sig" "$pid" 2>/dev/null || true
		for _ in $(seq 150); do
			alive "$pid" || break
			sleep 0.1
		done
		if alive "$pid"; then
			echo "stop: $name ($pid) ignored SIG$sig for 15s; killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
		echo "stopped $name"
	fi
	rm -f "$file"
}

for ((i = ${#ALL[@]} - 1; i >= 0; i--)); do
	name=${ALL[i]}
	case $name in
	nats) stop nats nats-server TERM ;;
	# SIGINT is Postgres' "fast" shutdown: it does not wait for clients.
	postgres) stop postgres postgres INT ;;
	*) stop "$name" "$name" TERM ;;
	esac
done
# BuildKit last: the runner, stopped above, was its only client. On
# SIGTERM it releases its network namespaces and CNI rules.
stop buildkitd buildkitd TERM
