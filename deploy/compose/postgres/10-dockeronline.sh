#!/bin/sh
# Creates Docker Online's databases and roles. The postgres image runs this
# once, when it initialises an empty data volume (it is mounted at
# /docker-entrypoint-initdb.d); deploy/check runs it against a real
# Postgres too. Passwords come from the environment (docker-compose.yml).
#
#   database kratos    owned by role kratos (Kratos migrates it itself)
#   database platform  one schema per service, owned by the role of the
#                      same name: auth, runner, provisioner. Each service
#                      finds its tables first on its search path ("$user")
#                      and cannot read the others' schemas, as the design
#                      wants ("never the tables of other services").
#
# Changing a password later: ALTER ROLE ... PASSWORD, then the env file.
set -eu
: "${KRATOS_DB_PASSWORD:?}" "${AUTH_DB_PASSWORD:?}" "${RUNNER_DB_PASSWORD:?}" "${PROVISIONER_DB_PASSWORD:?}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
	-v kratos_pw="$KRATOS_DB_PASSWORD" \
	-v auth_pw="$AUTH_DB_PASSWORD" \
	-v runner_pw="$RUNNER_DB_PASSWORD" \
	-v provisioner_pw="$PROVISIONER_DB_PASSWORD" <<'SQL'
CREATE ROLE kratos LOGIN PASSWORD :'kratos_pw';
CREATE DATABASE kratos OWNER kratos;
REVOKE ALL ON DATABASE kratos FROM PUBLIC;

CREATE ROLE auth LOGIN PASSWORD :'auth_pw';
CREATE ROLE runner LOGIN PASSWORD :'runner_pw';
CREATE ROLE provisioner LOGIN PASSWORD :'provisioner_pw';
CREATE DATABASE platform;
REVOKE ALL ON DATABASE platform FROM PUBLIC;
-- CREATE: pkg/migrate runs "CREATE SCHEMA IF NOT EXISTS <service>", which
-- Postgres checks against the database even when the schema exists.
GRANT CONNECT, TEMPORARY, CREATE ON DATABASE platform TO auth, runner, provisioner;

\connect platform
REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA auth AUTHORIZATION auth;
CREATE SCHEMA runner AUTHORIZATION runner;
CREATE SCHEMA provisioner AUTHORIZATION provisioner;
SQL
