// Package provisionertest runs the real provisioner in-process for tests,
// against a test SSH host: a real sshd whose account changes stay in a
// private copy of /etc (see sshdtest), never on the machine.
package provisionertest

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/provisioner/app"
	"github.com/dockeronline/platform/services/provisioner/sshdtest"
)

// Host is a test SSH host: sshd on a loopback port.
type Host = sshdtest.Server

// StartHost starts a test SSH host, stopped when the test ends.
func StartHost(t testing.TB) *Host { return sshdtest.Start(t) }

// HostEnv is the environment that points the provisioner at h, with short
// retry delays fit for tests.
func HostEnv(h *Host) map[string]string {
	return map[string]string{
		"SSH_ADDR":            h.Addr,
		"SSH_USER":            h.User,
		"SSH_KEY_FILE":        h.ClientKeyFile,
		"SSH_KNOWN_HOSTS":     h.KnownHostsFile,
		"SSH_TIMEOUT":         "10s",
		"PROVISION_RETRY_MIN": "50ms",
		"PROVISION_RETRY_MAX": "500ms",
	}
}

// Instance is a running provisioner.
type Instance struct {
	t      testing.TB
	cancel context.CancelFunc
	done   chan error
}

// Start runs the provisioner against natsURL and databaseURL with env on
// top (HostEnv, or PROVISION_ENABLED=false), until the test ends or Stop.
// It returns once the provisioner answers commands.
func Start(t testing.TB, natsURL, databaseURL string, env map[string]string) *Instance {
	t.Helper()
	all := map[string]string{
		"NATS_URL":     natsURL,
		"DATABASE_URL": databaseURL,
		"HTTP_ADDR":    "127.0.0.1:0",
	}
	for k, v := range env {
		all[k] = v
	}
	cfg, err := app.LoadConfig(config.FromMap(all))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	in := &Instance{t: t, cancel: cancel, done: make(chan error, 1)}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	go func() { in.done <- app.Run(ctx, cfg, log) }()
	t.Cleanup(in.Stop)
	natstest.WaitServing(t, natsURL, subjects.ProvisionerStatus, msg.ProvisionStatusRequest{})
	return in
}

// Stop stops the provisioner and waits for it; a no-op the second time.
func (in *Instance) Stop() {
	in.t.Helper()
	if in.cancel == nil {
		return
	}
	in.cancel()
	in.cancel = nil
	select {
	case err := <-in.done:
		if err != nil {
			in.t.Errorf("provisioner stopped with error: %v", err)
		}
	case <-time.After(30 * time.Second):
		in.t.Error("provisioner did not stop within 30s")
	}
}
