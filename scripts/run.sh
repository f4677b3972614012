#!/usr/bin/env bash
# Starts the whole platform on this machine in the background (make run):
# NATS, Postgres, Kratos, then the five services. Logs go to var/log/NAME.log,
# pids to var/run/NAME.pid; data stays in var/ between runs. Running it again
# first stops what the previous run started, so it always restarts cleanly.
# Assumes `make deps tools build` ran (the Makefile does that).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

"$ROOT/scripts/stop.sh"
mkdir -p "$VAR/log" "$VAR/run" "$VAR/nats"

# start NAME CMD...: run CMD detached from this shell (setsid: make's Ctrl-C
# must not reach it), output to the log, pid to the pid file.
start() {
	local name=$1
	shift
	setsid "$@" >"$VAR/log/$name.log" 2>&1 </dev/null &
	echo $! >"$VAR/run/$name.pid"
}

# wait_http NAME URL: wait until URL answers 2xx, or show the log and fail.
wait_http() {
	local name=$1 url=$2 pid
	pid=$(cat "$VAR/run/$name.pid")
	for _ in $(seq 300); do
		curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0
		if ! kill -0 "$pid" 2>/dev/null; then break; fi
		sleep 0.1
	done
	echo "run: $name did not come up at $url; last lines of var/log/$name.log:" >&2
	tail -n 30 "$VAR/log/$name.log" >&2
	exit 1
}

# as_postgres CMD...: Postgres refuses to run as root; use its own OS user.
as_postgres() {
	if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# --- Secrets, made once, kept out of git in var/secrets.env.
if [[ ! -f $VAR/secrets.env ]]; then
	(
		umask 077
		{
			echo "SECRETS_COOKIE=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
			# xchacha20-poly1305 needs exactly 32 characters.
			echo "SECRETS_CIPHER=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
		} >"$VAR/secrets.env.tmp"
	)
	mv "$VAR/secrets.env.tmp" "$VAR/secrets.env"
fi
# The gateway and the proxy share LINK_SECRET for private web links; the
# gateway's WEB_SECRET keys its CSRF tokens, stable across restarts.
# Each service has its own NATS user (deploy/nats/permissions.conf); admin
# is for an operator's nats CLI. Hex: the passwords go into NATS_URL.
for name in LINK_SECRET WEB_SECRET $(nats_password_vars); do
	grep -q "^$name=" "$VAR/secrets.env" ||
		(umask 077 && echo "$name=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" >>"$VAR/secrets.env")
done
source "$VAR/secrets.env"

# --- NATS with JetStream, with production's users and permissions.
mapfile -t nenv < <(nats_env)
start nats env "${nenv[@]}" "$BIN/nats-server" -js -c "$ROOT/deploy/nats/nats-local.conf"
wait_http nats http://127.0.0.1:8222/healthz

# --- Postgres: a cluster of our own in var/pg, created on the first run.
pgdata=$VAR/pg
if [[ $(id -u) -eq 0 ]] && ! runuser -u postgres -- test -x "$VAR"; then
	echo "run: the postgres user cannot reach $VAR; make its parent directories world-executable (chmod o+x)" >&2
	exit 1
fi
if [[ ! -f $pgdata/PG_VERSION ]]; then
	mkdir -p "$pgdata"
	[[ $(id -u) -ne 0 ]] || chown postgres: "$pgdata"
	as_postgres "$PG_BINDIR/initdb" -D "$pgdata" -A trust -U postgres -E UTF8 --locale=C >"$VAR/log/initdb.log"
fi
# pg_ctl forks the server and returns once it accepts connections.
touch "$VAR/log/postgres.log"
[[ $(id -u) -ne 0 ]] || chown postgres: "$VAR/log/postgres.log"
as_postgres "$PG_BINDIR/pg_ctl" -D "$pgdata" -l "$VAR/log/postgres.log" -w -t 60 \
	-o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $pgdata" start >/dev/null
head -n1 "$pgdata/postmaster.pid" >"$VAR/run/postgres.pid"
for db in kratos platform; do
	exists=$(psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -XAtqc "select 1 from pg_database where datname = '$db'")
	[[ $exists == 1 ]] || psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -Xqc "create database $db"
done

# --- Kratos
mapfile -t kenv < <(kratos_env)
kratos_cfg=$ROOT/deploy/kratos/kratos.yml
kflags=(--watch-courier --sqa-opt-out)
# KRATOS_DEV=1: fast password hashing (bcrypt cost 4), non-Secure cookies.
[[ ${KRATOS_DEV:-0} != 1 ]] || { kflags+=(--dev); kenv+=(HASHERS_BCRYPT_COST=4); }
env -i "${kenv[@]}" "$BIN/kratos" migrate sql -e --yes -c "$kratos_cfg" >"$VAR/log/kratos-migrate.log" 2>&1 ||
	{ tail -n 30 "$VAR/log/kratos-migrate.log" >&2; exit 1; }
start kratos env -i "${kenv[@]}" "$BIN/kratos" serve -c "$kratos_cfg" "${kflags[@]}"
wait_http kratos "$KRATOS_ADMIN_URL/admin/health/ready"

# --- BuildKit, the runner's builder (RUNNER_BUILDKIT_ADDR): its RUN steps
# get network namespaces on BUILDKIT_SUBNET (a /24 inside the runner's
# RUNNER_BUILDKIT_SUBNET, 10.213.0.0/16, which its firewall fences), never
# the host's. BUILDKIT=off leaves builds on the engine's classic builder.
if [[ ${BUILDKIT:-on} != off ]]; then
	bk=$VAR/buildkit
	mkdir -p "$bk"
	sed -e "s#@SUBNET@#${BUILDKIT_SUBNET:-10.213.0.0/24}#" -e "s#@ROOT@#$bk#" \
		"$ROOT/deploy/buildkit/cni.conflist" >"$bk/cni.conflist"
	sed -e "s#@ROOT@#$bk#" -e "s#@ADDR@#unix://$bk/buildkitd.sock#" -e "s#@CNI@#$bk/cni.conflist#" \
		-e "s#@MAXUSED@#${BUILDKIT_MAX_USED:-20GB}#" "$ROOT/deploy/buildkit/buildkitd.toml" >"$bk/buildkitd.toml"
	start buildkitd "$BIN/buildkitd" --config "$bk/buildkitd.toml"
	for _ in $(seq 300); do
		[[ -S $bk/buildkitd.sock ]] && break
		if ! kill -0 "$(cat "$VAR/run/buildkitd.pid")" 2>/dev/null; then
			echo "run: buildkitd did not start; last lines of var/log/buildkitd.log:" >&2
			tail -n 30 "$VAR/log/buildkitd.log" >&2
			exit 1
		fi
		sleep 0.1
	done
	export RUNNER_BUILDKIT_ADDR=unix://$bk/buildkitd.sock RUNNER_BUILDKIT_DIR=$VAR/runner-buildkit
fi

# --- The first admin: unless one is named (BOOTSTRAP_ADMIN_ID or a
# verified BOOTSTRAP_ADMIN e-mail), an identity made once through Kratos'
# admin API with its address verified, named to auth by identity id — never
# by a username, which anyone could register first. Its sign-in is kept in
# var/secrets.env.
if [[ -z ${BOOTSTRAP_ADMIN_ID:-} && -z ${BOOTSTRAP_ADMIN:-} ]]; then
	if [[ -z ${ADMIN_IDENTITY_ID:-} ]]; then
		ADMIN_EMAIL=admin@dockeronline.test
		ADMIN_PASSWORD=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
		body=$(printf '{"schema_id":"default","traits":{"email":"%s","username":"siteadmin"},"credentials":{"password":{"config":{"password":"%s"}}},"verifiable_addresses":[{"value":"%s","via":"email","verified":true,"status":"completed"}]}' \
			"$ADMIN_EMAIL" "$ADMIN_PASSWORD" "$ADMIN_EMAIL")
		created=$(curl -fsS -X POST -H 'Content-Type: application/json' -d "$body" "$KRATOS_ADMIN_URL/admin/identities") ||
			{ echo "run: could not create the first admin in Kratos" >&2; exit 1; }
		ADMIN_IDENTITY_ID=$(grep -o '"id":"[^"]*"' <<<"$created" | head -n1 | cut -d'"' -f4)
		(umask 077 && printf 'ADMIN_EMAIL=%s\nADMIN_PASSWORD=%s\nADMIN_IDENTITY_ID=%s\n' \
			"$ADMIN_EMAIL" "$ADMIN_PASSWORD" "$ADMIN_IDENTITY_ID" >>"$VAR/secrets.env")
	fi
	export BOOTSTRAP_ADMIN_ID=$ADMIN_IDENTITY_ID
fi

# --- the platform's services
for svc in "${SERVICES[@]}"; do
	mapfile -t senv < <(service_env "$svc")
	start "$svc" env "${senv[@]}" "$BIN/$svc"
done
for svc in "${SERVICES[@]}"; do
	addr=$(service_env "$svc" | sed -n 's/^HTTP_ADDR=//p')
	wait_http "$svc" "http://$addr/healthz"
done

echo "Docker Online is up: $GATEWAY_URL"
[[ -z ${ADMIN_EMAIL:-} ]] || echo "Admin: $ADMIN_EMAIL (username siteadmin), password in var/secrets.env (ADMIN_PASSWORD)"
echo "Logs: $VAR/log/<name>.log   Stop: make stop"
