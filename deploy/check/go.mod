// Tests of the production deployment (docker-compose.yml, deploy/, the
// Dockerfile and scripts/images.sh) against the real tools: docker compose,
// docker stack, docker build, nats-server, promtool, Postgres. Tests only;
// standard library plus a YAML parser.
module github.com/dockeronline/platform/deploy/check

go 1.26.8

require gopkg.in/yaml.v3 v3.0.1
