package terminal

import (
	"time"

	"github.com/dockeronline/platform/pkg/config"
)

// Config bounds terminal sessions. Every value has a default, so the runner
// starts with no environment at all.
type Config struct {
	// DetachTTL is how long a session with no viewer lives before its
	// process is ended (TERMINAL_DETACH_TTL, 5m): long enough to survive a
	// reload, a dropped Wi-Fi or a laptop lid.
	DetachTTL time.Duration
	// IdleTTL ends a session with neither input nor output for that long,
	// viewers or not (TERMINAL_IDLE_TTL, 30m).
	IdleTTL time.Duration
	// ViewerTimeout is how long a viewer may stay silent (no ping, no input)
	// before it counts as gone (TERMINAL_VIEWER_TIMEOUT, 45s; the gateway
	// pings every 10s).
	ViewerTimeout time.Duration
	// Scrollback is how many bytes of recent output a session keeps for a
	// viewer that (re)attaches (TERMINAL_SCROLLBACK_BYTES, 131072).
	Scrollback int
	// MaxPerUser bounds one user's open sessions (TERMINAL_MAX_SESSIONS_PER_USER, 16).
	MaxPerUser int
}

// DefaultConfig is the configuration with no environment.
func DefaultConfig() Config {
	return Config{
		DetachTTL:     5 * time.Minute,
		IdleTTL:       30 * time.Minute,
		ViewerTimeout: 45 * time.Second,
		Scrollback:    128 << 10,
		MaxPerUser:    16,
	}
}

// LoadConfig reads the environment.
func LoadConfig(e *config.Env) (Config, error) {
	d := DefaultConfig()
	c := Config{
		DetachTTL:     e.Duration("TERMINAL_DETACH_TTL", d.DetachTTL),
		IdleTTL:       e.Duration("TERMINAL_IDLE_TTL", d.IdleTTL),
		ViewerTimeout: e.Duration("TERMINAL_VIEWER_TIMEOUT", d.ViewerTimeout),
		Scrollback:    e.Int("TERMINAL_SCROLLBACK_BYTES", d.Scrollback),
		MaxPerUser:    e.Int("TERMINAL_MAX_SESSIONS_PER_USER", d.MaxPerUser),
	}
	if c.Scrollback < 4096 {
		c.Scrollback = 4096
	}
	return c, e.Err()
}
