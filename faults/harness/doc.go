// Package harness runs the whole platform as real processes for fault
// tests, so that a part can be killed with SIGKILL and started again with
// the same environment, the way a crash and a supervisor restart would:
//
//   - nats-server (bin/nats-server, JetStream) on a fixed port with a store
//     directory that survives restarts;
//   - Postgres (Debian's binaries, a private cluster run as the postgres
//     user) on a fixed port, restartable;
//   - Ory Kratos (pkg/testenv), a real sshd test host for Linux accounts
//     (provisionertest);
//   - the five services, built once per test binary with `go build`, each
//     with the environment scripts/env.sh would give it, on free ports;
//   - the runner reaches Docker through a unix-socket relay (DockerRelay)
//     that a test can sever and restore: this machine's dockerd is never
//     restarted, since other tests use it.
//
// Clients talk to the platform only over HTTP, like users. Convergence is
// measured, logged and collected (Converge), never asserted tightly: each
// wait has a stated bound and fails only after that bound times Slack.
package harness
