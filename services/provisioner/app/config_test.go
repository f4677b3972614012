package app

import (
	"strings"
	"testing"
	"time"

	"github.com/dockeronline/platform/pkg/config"
)

func TestDefaults(t *testing.T) {
	c, err := LoadConfig(config.FromMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"HTTP_ADDR", c.HTTPAddr, "127.0.0.1:8083"},
		{"PROVISION_ENABLED", c.Enabled, true},
		{"SSH_ADDR", c.SSH.Addr, "127.0.0.1:22"},
		{"SSH_USER", c.SSH.User, "root"},
		{"SSH_TIMEOUT", c.SSH.Timeout, 10 * time.Second},
		{"SSH_SUDO", c.Host.Sudo, false},
		{"LINUX_GROUP", c.Host.Group, "dockeronline"},
		{"LINUX_SHELL", c.Host.Shell, "/bin/bash"},
		{"LINUX_LINGER", c.Host.Linger, false},
		{"LINUX_MIN_UID", c.MinUID, 1000},
		{"PROVISION_MAX_DELIVER", c.Provision.MaxDeliver, 10},
		{"PROVISION_RETRY_MAX", c.Provision.Retry.Max, 5 * time.Minute},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	if !strings.HasSuffix(c.SSH.KeyFile, "/.ssh/id_ed25519") || !strings.HasSuffix(c.SSH.KnownHostsFile, "/.ssh/known_hosts") {
		t.Errorf("key files = %s, %s", c.SSH.KeyFile, c.SSH.KnownHostsFile)
	}
}

func TestBadSettingsAreRefused(t *testing.T) {
	tests := []map[string]string{
		{"SSH_TIMEOUT": "ten"},
		{"PROVISION_ENABLED": "maybe"},
		{"LINUX_GROUP": "a;id"},
		{"LINUX_SHELL": "bash"},
		{"LINUX_QUOTA_KIB": "1024", "LINUX_QUOTA_FS": "home"},
		{"PROVISION_MAX_DELIVER": "0"},
		{"PROVISION_RETRY_MIN": "1m", "PROVISION_RETRY_MAX": "1s"},
		{"PROVISIONER_CONCURRENCY": "0"},
	}
	for _, env := range tests {
		if _, err := LoadConfig(config.FromMap(env)); err == nil {
			t.Errorf("LoadConfig(%v) succeeded, want an error", env)
		}
	}
	// Host settings do not matter while provisioning is disabled.
	if _, err := LoadConfig(config.FromMap(map[string]string{"PROVISION_ENABLED": "false", "LINUX_GROUP": "a;id"})); err != nil {
		t.Errorf("disabled with a bad group: %v", err)
	}
}
