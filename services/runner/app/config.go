// Package app wires the runner: configuration, the Docker and NATS
// connections, the container service and the event follower. main runs it;
// tests run the same code in-process against real NATS and Docker.
package app

import (
	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/services/runner/policy"
)

// Config is the runner's configuration (see README's configuration table).
type Config struct {
	config.Common
	// Concurrency bounds commands handled at once (RUNNER_CONCURRENCY, 32).
	Concurrency int
	Limits      policy.Limits
}

// LoadConfig reads the environment.
func LoadConfig(e *config.Env) (Config, error) {
	d := policy.DefaultLimits()
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
		},
	}
	return c, e.Err()
}
