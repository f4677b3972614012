package policy

// Limits are the defaults and ceilings applied to every container.
type Limits struct {
	DefaultMemoryMB int64   // RUNNER_DEFAULT_MEMORY_MB, default 256
	MaxMemoryMB     int64   // RUNNER_MAX_MEMORY_MB, default 2048
	DefaultCPUs     float64 // RUNNER_DEFAULT_CPUS, default 0.5
	MaxCPUs         float64 // RUNNER_MAX_CPUS, default 2
	PidsLimit       int64   // RUNNER_PIDS_LIMIT, default 256
	LogMaxSize      string  // RUNNER_LOG_MAX_SIZE, default 10m
	LogMaxFiles     string  // RUNNER_LOG_MAX_FILES, default 3
	// PublishMin..PublishMax is the host port range users may publish on
	// (RUNNER_PUBLISH_PORTS, e.g. "20000-20999"; empty: none).
	PublishMin, PublishMax int
	// Runtime is the OCI runtime of users' containers unless an admin
	// chose another for a user (RUNNER_RUNTIME, runc or runsc; default runc).
	Runtime string
	// RunscPidsLimit replaces PidsLimit for runsc containers
	// (RUNNER_RUNSC_PIDS_LIMIT, default 1024); see ApplyRuntime.
	RunscPidsLimit int64
	// MaxNofile caps the nofile ulimit a user may set (RUNNER_MAX_NOFILE,
	// default 1048576, what containers get from dockerd anyway).
	MaxNofile int64
	// TmpfsDefaultMB is the size of a tmpfs mount that names none
	// (RUNNER_TMPFS_DEFAULT_MB, default 64): unsized, the kernel would
	// give it half the host's memory.
	TmpfsDefaultMB int64
	// TmpfsMaxMB caps a container's tmpfs mounts and /dev/shm together
	// (RUNNER_TMPFS_MAX_MB, default 512). Both are memory: they count in
	// the memory quota.
	TmpfsMaxMB int64
	// MaxEnv and MaxEnvBytes bound a container's environment: entries and
	// total bytes (RUNNER_MAX_ENV 256, RUNNER_MAX_ENV_BYTES 65536).
	MaxEnv, MaxEnvBytes int
}

// DefaultLimits are safe for a shared host with tens of users.
func DefaultLimits() Limits {
	return Limits{
		DefaultMemoryMB: 256,
		MaxMemoryMB:     2048,
		DefaultCPUs:     0.5,
		MaxCPUs:         2,
		PidsLimit:       256,
		LogMaxSize:      "10m",
		LogMaxFiles:     "3",
		Runtime:         RuntimeRunc,
		RunscPidsLimit:  1024,
		MaxNofile:       1 << 20,
		TmpfsDefaultMB:  64,
		TmpfsMaxMB:      512,
		MaxEnv:          256,
		MaxEnvBytes:     64 << 10,
	}
}
