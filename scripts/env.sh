# Sourced by run.sh and stop.sh: the one place that says how the local stack
# (`make run`) is wired: addresses, databases and each service's environment.
# Edit here, not in the scripts that use it.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/bin
VAR=$ROOT/var

GATEWAY_URL=http://127.0.0.1:8080
NATS_URL=nats://127.0.0.1:4222
PG_PORT=55432
PG_BINDIR=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}
KRATOS_PUBLIC_URL=http://127.0.0.1:4433
KRATOS_ADMIN_URL=http://127.0.0.1:4434
KRATOS_DSN="postgres://postgres@127.0.0.1:$PG_PORT/kratos?sslmode=disable"
PLATFORM_DSN="postgres://postgres@127.0.0.1:$PG_PORT/platform?sslmode=disable"

# Start order; stop.sh stops in reverse.
SERVICES=(gateway auth runner provisioner proxy)
ALL=(nats postgres kratos "${SERVICES[@]}")

# service_env NAME prints NAME's environment, one KEY=VALUE a line. The
# services also inherit the caller's environment (PATH, DOCKER_HOST, …).
service_env() {
	echo "NATS_URL=$(nats_url "$1")"
	echo "LOG_LEVEL=${LOG_LEVEL:-info}"
	case $1 in
	gateway)
		echo "HTTP_ADDR=127.0.0.1:8080"
		echo "KRATOS_PUBLIC_URL=$KRATOS_PUBLIC_URL"
		echo "APPS_DOMAIN=apps.localhost"
		echo "LINK_SECRET=${LINK_SECRET:-}"
		echo "WEB_SECRET=${WEB_SECRET:-}"
		;;
	auth)
		echo "HTTP_ADDR=127.0.0.1:8081"
		echo "DATABASE_URL=$PLATFORM_DSN"
		echo "KRATOS_PUBLIC_URL=$KRATOS_PUBLIC_URL"
		echo "KRATOS_ADMIN_URL=$KRATOS_ADMIN_URL"
		# The first admin: a Kratos identity id (register, then read
		# user_id from /api/v1/me) or a verified e-mail; never a username.
		echo "BOOTSTRAP_ADMIN=${BOOTSTRAP_ADMIN:-}"
		echo "BOOTSTRAP_ADMIN_ID=${BOOTSTRAP_ADMIN_ID:-}"
		;;
	runner)
		echo "HTTP_ADDR=127.0.0.1:8082"
		echo "DATABASE_URL=$PLATFORM_DSN"
		;;
	provisioner)
		echo "HTTP_ADDR=127.0.0.1:8083"
		echo "DATABASE_URL=$PLATFORM_DSN"
		# Linux accounts are made over SSH only when a Docker host is
		# configured on purpose (SSH_ADDR, SSH_KEY_FILE, SSH_KNOWN_HOSTS):
		# make run never runs useradd on a developer's machine by default.
		echo "PROVISION_ENABLED=${PROVISION_ENABLED:-$([[ -n ${SSH_ADDR:-} ]] && echo true || echo false)}"
		[[ -n ${SSH_ADDR:-} ]] && echo "SSH_ADDR=$SSH_ADDR"
		[[ -n ${SSH_USER:-} ]] && echo "SSH_USER=$SSH_USER"
		[[ -n ${SSH_KEY_FILE:-} ]] && echo "SSH_KEY_FILE=$SSH_KEY_FILE"
		[[ -n ${SSH_KNOWN_HOSTS:-} ]] && echo "SSH_KNOWN_HOSTS=$SSH_KNOWN_HOSTS"
		true
		;;
	proxy)
		echo "HTTP_ADDR=127.0.0.1:8084"
		echo "PROXY_ADDR=127.0.0.1:8000"
		echo "APPS_DOMAIN=apps.localhost"
		echo "GATEWAY_URL=$GATEWAY_URL"
		echo "LINK_SECRET=${LINK_SECRET:-}"
		;;
	*)
		echo "env.sh: unknown service $1" >&2
		return 1
		;;
	esac
}

# NATS_USERS are the users of deploy/nats/permissions.conf: one per service,
# and admin for an operator's nats CLI.
NATS_USERS=(gateway auth runner provisioner proxy admin)

# nats_password_vars prints the variables holding their passwords.
nats_password_vars() {
	local u
	for u in "${NATS_USERS[@]}"; do echo "NATS_${u^^}_PASSWORD"; done
}

# nats_url USER: NATS_URL with USER's credentials (from var/secrets.env).
nats_url() {
	local var="NATS_${1^^}_PASSWORD"
	echo "nats://$1:${!var:-}@${NATS_URL#nats://}"
}

# nats_env prints nats-server's environment: its store and the passwords.
nats_env() {
	local var
	echo "NATS_STORE_DIR=$VAR/nats"
	for var in $(nats_password_vars); do echo "$var=${!var:-}"; done
}

# kratos_env prints Kratos' whole environment (it reads any variable named
# after a config key, so it gets nothing else). Secrets come from
# var/secrets.env, made by run.sh. pkg/testenv sets the same names in tests.
kratos_env() {
	local ui=$GATEWAY_URL
	echo "PATH=$PATH"
	echo "HOME=${HOME:-/}"
	echo "SQA_OPT_OUT=true"
	echo "DSN=$KRATOS_DSN"
	echo "SECRETS_COOKIE=$SECRETS_COOKIE"
	echo "SECRETS_CIPHER=$SECRETS_CIPHER"
	echo "IDENTITY_SCHEMAS=[{\"id\":\"default\",\"url\":\"file://$ROOT/deploy/kratos/identity.schema.json\"}]"
	echo "SERVE_PUBLIC_PORT=${KRATOS_PUBLIC_URL##*:}"
	echo "SERVE_ADMIN_PORT=${KRATOS_ADMIN_URL##*:}"
	echo "SERVE_ADMIN_BASE_URL=$KRATOS_ADMIN_URL/"
	# Browsers reach Kratos through the gateway, on the gateway's origin, so
	# Kratos' cookies are first-party there.
	echo "SERVE_PUBLIC_BASE_URL=$ui/.ory/kratos/public/"
	echo "SELFSERVICE_DEFAULT_BROWSER_RETURN_URL=$ui/"
	echo "SELFSERVICE_ALLOWED_RETURN_URLS=$ui"
	echo "SELFSERVICE_FLOWS_ERROR_UI_URL=$ui/error"
	echo "SELFSERVICE_FLOWS_LOGIN_UI_URL=$ui/login"
	echo "SELFSERVICE_FLOWS_LOGOUT_AFTER_DEFAULT_BROWSER_RETURN_URL=$ui/login"
	echo "SELFSERVICE_FLOWS_REGISTRATION_UI_URL=$ui/registration"
	echo "SELFSERVICE_FLOWS_SETTINGS_UI_URL=$ui/settings"
	echo "SELFSERVICE_FLOWS_RECOVERY_UI_URL=$ui/recovery"
	echo "SELFSERVICE_FLOWS_VERIFICATION_UI_URL=$ui/verification"
	echo "SELFSERVICE_FLOWS_VERIFICATION_AFTER_DEFAULT_BROWSER_RETURN_URL=$ui/"
	# Mail goes nowhere by default; point it at a real SMTP server here.
	echo "COURIER_SMTP_CONNECTION_URI=${COURIER_SMTP_CONNECTION_URI:-smtp://127.0.0.1:1025/?disable_starttls=true}"
	# Registration asks the auth service to check the username (reserved
	# names, "--"); the auth binary prints the hook settings.
	"$BIN/auth" kratos-env "http://127.0.0.1:8081"
}
