// Package check tests the production deployment of Docker Online: the
// compose file and the Swarm stack validate, the NATS permissions hold
// against a real nats-server, Grafana's provisioning and dashboards are
// well-formed and consistent, Prometheus' configuration and every PromQL
// query parse, the Postgres init script gives each service its own schema,
// and the service images build, run as non-root and start.
//
// Every test uses the real tool and fails (never skips) with the command
// that installs it when it is missing:
//
//	docker, docker compose or docker-compose   the machine's Docker
//	bin/nats-server                            make tools
//	promtool                                   apt-get install prometheus
//	Postgres server programs                   make deps (postgresql)
//
// TestImages builds the five images through scripts/images.sh and is the
// slow one: minutes on a cold build cache (give go test -timeout 30m; make
// test does), about a minute when only the platform's code changed.
package check
