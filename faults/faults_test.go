package faults

import (
	"testing"

	"github.com/dockeronline/platform/faults/harness"
)

// scenario is one fault, injected in the middle of work, with its checks.
type scenario struct {
	name string
	// bounded: also part of the bounded form `make test` runs.
	bounded bool
	run     func(t *testing.T, p *harness.Platform)
}

var scenarios = []scenario{
	{"runner-kill-mid-burst", true, runnerKillMidBurst},
	{"compose-up-runner-kill", false, composeUpRunnerKill},
	{"gateway-kill-mid-burst", true, gatewayKillMidBurst},
	{"auth-kill", true, authKill},
	{"proxy-kill", true, proxyKill},
	{"provisioner-kill-mid-registrations", false, provisionerKillMidRegistrations},
	{"nats-restart", true, natsRestart},
	{"postgres-restart", true, postgresRestart},
	{"docker-cut", true, dockerCut},
	{"terminal-survives-gateway-kill", true, terminalSurvivesGatewayKill},
}

// TestFaults runs every scenario, one after the other, against one
// platform of real processes. Each starts from a whole platform (EnsureUp)
// and removes its users' Docker objects when it ends.
func TestFaults(t *testing.T) {
	p := harness.Start(t, harness.Options{Provision: harness.Full()})
	ran := 0
	for _, sc := range scenarios {
		if !sc.bounded && !harness.Full() {
			t.Logf("%s: part of the full suite only (make test-faults)", sc.name)
			continue
		}
		ran++
		t.Run(sc.name, func(t *testing.T) {
			p.EnsureUp(t)
			sc.run(t, p)
		})
	}
	if ran == 0 {
		t.Fatal("no scenario ran")
	}
}
