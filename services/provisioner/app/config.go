// Package app wires the provisioner: configuration, Postgres, the SSH
// client, NATS and the provisioning service. main runs it; tests run the
// same code in-process against real NATS, Postgres and sshd.
package app

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/services/provisioner/hostcmd"
	"github.com/dockeronline/platform/services/provisioner/provision"
	"github.com/dockeronline/platform/services/provisioner/sshclient"
)

// Config is the provisioner's configuration (see README's table).
type Config struct {
	config.Common
	DatabaseURL string // DATABASE_URL
	// Enabled (PROVISION_ENABLED, default true): when false, user events
	// are recorded as "disabled" and nothing is done on any host; SSH
	// settings are not used.
	Enabled     bool
	SSH         sshclient.Config
	Host        hostcmd.Options
	MinUID      int // LINUX_MIN_UID: accounts below are system accounts, never ours
	Provision   provision.Options
	Concurrency int // PROVISIONER_CONCURRENCY: commands served at once
}

// LoadConfig reads the environment.
func LoadConfig(e *config.Env) (Config, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		home = "/root"
	}
	c := Config{
		Common:      config.LoadCommon(e, "127.0.0.1:8083"),
		DatabaseURL: e.String("DATABASE_URL", "postgres://postgres@127.0.0.1:55432/platform?sslmode=disable"),
		Enabled:     e.Bool("PROVISION_ENABLED", true),
		SSH: sshclient.Config{
			Addr:           e.String("SSH_ADDR", "127.0.0.1:22"),
			User:           e.String("SSH_USER", "root"),
			KeyFile:        e.String("SSH_KEY_FILE", filepath.Join(home, ".ssh", "id_ed25519")),
			KnownHostsFile: e.String("SSH_KNOWN_HOSTS", filepath.Join(home, ".ssh", "known_hosts")),
			Timeout:        e.Duration("SSH_TIMEOUT", 10*time.Second),
		},
		Host: hostcmd.Options{
			Sudo:           e.Bool("SSH_SUDO", false),
			Group:          e.String("LINUX_GROUP", "dockeronline"),
			Shell:          e.String("LINUX_SHELL", "/bin/bash"),
			Linger:         e.Bool("LINUX_LINGER", false),
			QuotaBlocksKiB: int64(e.Int("LINUX_QUOTA_KIB", 0)),
			QuotaFS:        e.String("LINUX_QUOTA_FS", "/home"),
		},
		MinUID: e.Int("LINUX_MIN_UID", 1000),
		Provision: provision.Options{
			Workers:    e.Int("PROVISION_WORKERS", 2),
			MaxDeliver: e.Int("PROVISION_MAX_DELIVER", 10),
			Retry: provision.Backoff{
				Min: e.Duration("PROVISION_RETRY_MIN", time.Second),
				Max: e.Duration("PROVISION_RETRY_MAX", 5*time.Minute),
			},
			SweepEvery: e.Duration("PROVISION_SWEEP_EVERY", time.Minute),
			StaleAfter: e.Duration("PROVISION_STALE_AFTER", 15*time.Minute),
		},
		Concurrency: e.Int("PROVISIONER_CONCURRENCY", 16),
	}
	c.Provision.Enabled = c.Enabled
	if err := e.Err(); err != nil {
		return c, err
	}
	return c, c.validate()
}

func (c Config) validate() error {
	if err := c.Provision.Validate(); err != nil {
		return err
	}
	if c.Concurrency < 1 {
		return errors.New("config: PROVISIONER_CONCURRENCY must be at least 1")
	}
	if !c.Enabled {
		return nil
	}
	if err := c.Host.Validate(); err != nil {
		return err
	}
	if c.SSH.User == "" || c.SSH.Timeout <= 0 || c.MinUID < 1 {
		return errors.New("config: SSH_USER must be set, SSH_TIMEOUT and LINUX_MIN_UID positive")
	}
	return nil
}
