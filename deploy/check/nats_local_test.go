package check

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestNATSLocalConfig: make run's NATS (deploy/nats/nats-local.conf, what
// scripts/run.sh starts) has production's users: an anonymous client or a
// wrong password cannot connect, and no service but the gateway may
// publish a command (so no local process can send one with an admin role
// header); the monitoring port is on loopback.
func TestNATSLocalConfig(t *testing.T) {
	conf := string(readFile(t, repoPath(t, "deploy", "nats", "nats-local.conf")))
	for _, want := range []string{`include "permissions.conf"`, `listen: "127.0.0.1:`, `http: "127.0.0.1:`} {
		if !strings.Contains(conf, want) {
			t.Errorf("nats-local.conf lacks %s", want)
		}
	}
	addr := startNATSWith(t, "nats-local.conf")
	for _, c := range []struct{ user, pass string }{{"", ""}, {"gateway", ""}, {"gateway", "wrong"}, {"nobody", "x"}} {
		if conn, err := tryDialNATS(addr, c.user, c.pass); err == nil {
			conn.close()
			t.Errorf("connected as %q with password %q", c.user, c.pass)
		} else if !strings.Contains(err.Error(), "Authorization Violation") {
			t.Errorf("as %q: want an authorization violation, got %v", c.user, err)
		}
	}
	commands := []string{"cmd.auth.session.check", "cmd.runner.container.create", "cmd.runner.user.purge", "cmd.auth.user.list", "cmd.provisioner.status", "cmd.anything"}
	for _, u := range natsUsers {
		conn := dialNATS(t, addr, u, natsPassword(u))
		for _, subj := range commands {
			err := conn.pub(subj, "", []byte(`{}`))
			if u == "gateway" {
				if err != nil {
					t.Errorf("the gateway may publish %s: %v", subj, err)
				}
				continue
			}
			if err == nil || !strings.Contains(err.Error(), "Permissions Violation") {
				t.Errorf("%s published %s (got %v)", u, subj, err)
			}
		}
	}
}

// TestRunGivesEachServiceItsNATSUser: scripts/env.sh hands each service of
// make run its own NATS user and password from var/secrets.env, and
// run.sh starts NATS with the local config and those passwords.
func TestRunGivesEachServiceItsNATSUser(t *testing.T) {
	run := string(readFile(t, repoPath(t, "scripts", "run.sh")))
	if !strings.Contains(run, "deploy/nats/nats-local.conf") || strings.Contains(run, "nats-server\" -js -sd") {
		t.Error("run.sh does not start NATS with deploy/nats/nats-local.conf")
	}
	for _, svc := range natsUsers {
		script := `source scripts/env.sh; VAR=/nonexistent; NATS_` + strings.ToUpper(svc) + `_PASSWORD=pw-` + svc + `; service_env ` + svc + ` | grep '^NATS_URL='; nats_env | grep -c '^NATS_.*_PASSWORD='`
		cmd := exec.Command("bash", "-c", script)
		cmd.Dir = root(t)
		cmd.WaitDelay = 10 * time.Second
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", svc, err)
		}
		lines := strings.Fields(string(out))
		if want := "NATS_URL=nats://" + svc + ":pw-" + svc + "@127.0.0.1:4222"; !slices.Contains(lines, want) {
			t.Errorf("%s's environment: %q, want %s", svc, lines, want)
		}
		if !slices.Contains(lines, "6") {
			t.Errorf("nats_env does not pass the six passwords: %q", lines)
		}
	}
}
