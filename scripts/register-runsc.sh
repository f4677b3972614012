#!/usr/bin/env bash
# Registers gVisor's runsc with the machine's dockerd as the runtime
# "runsc", idempotently and without a restart (dockerd is shared: other
# work's containers keep running): the runtime is merged into
# /etc/docker/daemon.json, every other key kept as it was, the file
# replaced atomically, then dockerd reloads it on SIGHUP. Waits until
# `docker info` lists the runtime. Run by scripts/deps.sh (`make deps`).
#
# --platform=ptrace: no KVM here. --network=host is gVisor's own flag: the
# sandbox uses the network namespace Docker made for the container through
# the host kernel; without it runsc refuses to start ("cannot run with
# network enabled in root network namespace"). The container still has its
# own bridge namespace, so the platform's network isolation applies as with
# runc.
set -euo pipefail

RUNSC=${RUNSC:-/usr/bin/runsc}
CONF=${DOCKER_DAEMON_JSON:-/etc/docker/daemon.json}
[[ -x $RUNSC ]] || { echo "register-runsc: $RUNSC is missing (apt-get install runsc)" >&2; exit 1; }

changed=$(python3 - "$CONF" "$RUNSC" <<'PY'
import json, os, sys, tempfile
conf, runsc = sys.argv[1], sys.argv[2]
want = {"path": runsc, "runtimeArgs": ["--platform=ptrace", "--network=host"]}
try:
    with open(conf) as f:
        text = f.read()
    cfg = json.loads(text) if text.strip() else {}
except FileNotFoundError:
    cfg = {}
if not isinstance(cfg, dict):
    sys.exit(conf + " is not a JSON object; not touching it")
runtimes = cfg.setdefault("runtimes", {})
if runtimes.get("runsc") == want:
    print("no")
    sys.exit(0)
runtimes["runsc"] = want
os.makedirs(os.path.dirname(conf) or ".", exist_ok=True)
fd, tmp = tempfile.mkstemp(dir=os.path.dirname(conf) or ".", prefix=".daemon.json.")
with os.fdopen(fd, "w") as f:
    json.dump(cfg, f, indent=2)
    f.write("\n")
if os.path.exists(conf):
    os.chmod(tmp, os.stat(conf).st_mode & 0o777)
else:
    os.chmod(tmp, 0o644)
os.replace(tmp, conf)
print("yes")
PY
)

listed() { docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q '"runsc"'; }

if [[ $changed == yes ]] || ! listed; then
	pid=$(pidof dockerd || true)
	[[ -n $pid ]] || { echo "register-runsc: dockerd is not running" >&2; exit 1; }
	echo "deps: registering runsc with dockerd (SIGHUP $pid, no restart)"
	kill -HUP $pid
	for _ in $(seq 1 50); do
		listed && exit 0
		sleep 0.2
	done
	echo "register-runsc: dockerd does not list runsc after SIGHUP; see its log" >&2
	exit 1
fi
