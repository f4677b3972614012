#!/usr/bin/env bash
# Writes deploy/compose/platform.env from platform.env.example, with every
# value "change-me" replaced by a fresh random secret (hex, URL-safe; the
# Kratos cipher secret gets exactly 32 characters). An existing
# platform.env is never overwritten.
#
#   deploy/compose/gen-secrets.sh [OUT]      (default deploy/compose/platform.env)
set -euo pipefail
DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:-$DIR/platform.env}
if [[ -e $OUT ]]; then
	echo "gen-secrets: $OUT exists; remove it first to start over" >&2
	exit 1
fi
hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
umask 077
while IFS= read -r line; do
	if [[ $line =~ ^([A-Z0-9_]+)=change-me$ ]]; then
		key=${BASH_REMATCH[1]}
		case $key in
		KRATOS_SECRETS_CIPHER) line="$key=$(hex 16)" ;; # 32 hex characters
		*) line="$key=$(hex 24)" ;;
		esac
	fi
	printf '%s\n' "$line"
done <"$DIR/platform.env.example" >"$OUT"
echo "gen-secrets: wrote $OUT (mode 0600); now set the domains, DOCKER_GID, SSH_USER and SMTP_URI in it"
