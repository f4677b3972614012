// Package app wires the runner: configuration, the Docker and NATS
// connections, the container service and the event follower. main runs it;
// tests run the same code in-process against real NATS and Docker.
package app

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/build"
	"github.com/dockeronline/platform/services/runner/image"
	"github.com/dockeronline/platform/services/runner/isolation"
	"github.com/dockeronline/platform/services/runner/logs"
	"github.com/dockeronline/platform/services/runner/policy"
	"github.com/dockeronline/platform/services/runner/stack"
	"github.com/dockeronline/platform/services/runner/terminal"
)

// Config is the runner's configuration (see README's configuration table).
type Config struct {
	config.Common
	// Concurrency bounds commands handled at once (RUNNER_CONCURRENCY, 32).
	Concurrency int
	Limits      policy.Limits
	// DatabaseURL is the runner's Postgres (schema runner: quotas).
	DatabaseURL string
	// Images configures pulls (RUNNER_PULL_TIMEOUT, RUNNER_PULL_REGISTRIES, …).
	Images image.Options
	// Quota is every user's default quota (RUNNER_QUOTA_CONTAINERS 20,
	// RUNNER_QUOTA_MEMORY_MB 4096, RUNNER_QUOTA_CPUS 4, RUNNER_QUOTA_VOLUMES 20,
	// RUNNER_QUOTA_NETWORKS 5: networks a user makes beside their default;
	// its Runtime is RUNNER_RUNTIME, as Limits.Runtime).
	Quota msg.Quota
	// MemoryLimitMB is the Go runtime's soft memory limit
	// (RUNNER_MEMORY_LIMIT_MB, 1536; 0: none); GOMEMLIMIT, when set, wins.
	// Keep it under the runner container's memory limit.
	MemoryLimitMB int
	// Firewall is the host firewall isolating tenants (RUNNER_FIREWALL on).
	Firewall isolation.Options
	// Stack configures Compose stacks (STACK_*, and APPS_* for the links
	// in a deploy's notes: stack.LoadOptions).
	Stack stack.Options
	// Build configures builds (BUILD_*, and RUNNER_BUILDKIT_* for the
	// builder when RUNNER_BUILDKIT_ADDR is set: build.LoadOptions).
	Build build.Options
	// Terminal configures terminal sessions (TERMINAL_*).
	Terminal terminal.Config
	// Logs configures log streams (LOGS_*).
	Logs logs.Config
}

// LoadConfig reads the environment.
func LoadConfig(e *config.Env) (Config, error) {
	d := policy.DefaultLimits()
	pmin, pmax, perr := parseRange(e.String("RUNNER_PUBLISH_PORTS", ""))
	runtime := e.String("RUNNER_RUNTIME", d.Runtime)
	c := Config{
		Common:      config.LoadCommon(e, "127.0.0.1:8082"),
		Concurrency: e.Int("RUNNER_CONCURRENCY", 32),
		Limits: policy.Limits{
			DefaultMemoryMB: int64(e.Int("RUNNER_DEFAULT_MEMORY_MB", int(d.DefaultMemoryMB))),
			MaxMemoryMB:     int64(e.Int("RUNNER_MAX_MEMORY_MB", int(d.MaxMemoryMB))),
			DefaultCPUs:     e.Float("RUNNER_DEFAULT_CPUS", d.DefaultCPUs),
			MaxCPUs:         e.Float("RUNNER_MAX_CPUS", d.MaxCPUs),
			PidsLimit:       int64(e.Int("RUNNER_PIDS_LIMIT", int(d.PidsLimit))),
			LogMaxSize:      e.String("RUNNER_LOG_MAX_SIZE", d.LogMaxSize),
			LogMaxFiles:     e.String("RUNNER_LOG_MAX_FILES", d.LogMaxFiles),
			PublishMin:      pmin,
			PublishMax:      pmax,
			Runtime:         runtime,
			RunscPidsLimit:  int64(e.Int("RUNNER_RUNSC_PIDS_LIMIT", int(d.RunscPidsLimit))),
			MaxNofile:       int64(e.Int("RUNNER_MAX_NOFILE", int(d.MaxNofile))),
			TmpfsDefaultMB:  int64(e.Int("RUNNER_TMPFS_DEFAULT_MB", int(d.TmpfsDefaultMB))),
			TmpfsMaxMB:      int64(e.Int("RUNNER_TMPFS_MAX_MB", int(d.TmpfsMaxMB))),
			MaxEnv:          e.Int("RUNNER_MAX_ENV", d.MaxEnv),
			MaxEnvBytes:     e.Int("RUNNER_MAX_ENV_BYTES", d.MaxEnvBytes),
		},
		Images:      image.LoadOptions(e),
		DatabaseURL: e.String("DATABASE_URL", "postgres://postgres@127.0.0.1:55432/platform?sslmode=disable"),
		Quota: msg.Quota{
			Containers: e.Int("RUNNER_QUOTA_CONTAINERS", 20),
			MemoryMB:   int64(e.Int("RUNNER_QUOTA_MEMORY_MB", 4096)),
			CPUs:       e.Float("RUNNER_QUOTA_CPUS", 4),
			Volumes:    e.Int("RUNNER_QUOTA_VOLUMES", 20),
			Runtime:    runtime,
			Networks:   e.Int("RUNNER_QUOTA_NETWORKS", 5),
		},
	}
	c.MemoryLimitMB = e.Int("RUNNER_MEMORY_LIMIT_MB", 1536)
	c.Stack = stack.LoadOptions(e)
	c.Build = build.LoadOptions(e)
	var terr, lerr error
	c.Terminal, terr = terminal.LoadConfig(e)
	c.Logs, lerr = logs.LoadConfig(e)
	if err := errors.Join(terr, lerr); err != nil {
		return c, err
	}
	if perr != nil {
		return c, perr
	}
	if err := policy.ValidRuntime(runtime); err != nil {
		return c, fmt.Errorf("config: RUNNER_RUNTIME: %v", err)
	}
	var ferr error
	if c.Firewall, ferr = isolation.LoadOptions(e); ferr != nil {
		return c, ferr
	}
	return c, e.Err()
}

// parseRange reads "20000-20999" (empty: no range).
func parseRange(s string) (int, int, error) {
	if s == "" {
		return 0, 0, nil
	}
	lo, hi, ok := strings.Cut(s, "-")
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	if !ok || err1 != nil || err2 != nil || a < 1 || b > 65535 || a > b {
		return 0, 0, fmt.Errorf("config: RUNNER_PUBLISH_PORTS=%q is not a range such as 20000-20999", s)
	}
	return a, b, nil
}
