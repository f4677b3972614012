package logs

import (
	"time"

	"github.com/dockeronline/platform/pkg/config"
)

// Config tunes log streams.
type Config struct {
	// Heartbeat is how often a quiet stream says it is alive
	// (LOGS_HEARTBEAT, 5s). The gateway sends its own at the same pace.
	Heartbeat time.Duration
	// ReaderTimeout ends a stream whose reader has not been heard of for
	// that long (LOGS_READER_TIMEOUT, 30s): the gateway or the browser is gone.
	ReaderTimeout time.Duration
}

// DefaultConfig is the configuration with no environment.
func DefaultConfig() Config {
	return Config{Heartbeat: 5 * time.Second, ReaderTimeout: 30 * time.Second}
}

// LoadConfig reads the environment.
func LoadConfig(e *config.Env) (Config, error) {
	d := DefaultConfig()
	return Config{
		Heartbeat:     e.Duration("LOGS_HEARTBEAT", d.Heartbeat),
		ReaderTimeout: e.Duration("LOGS_READER_TIMEOUT", d.ReaderTimeout),
	}, e.Err()
}

// Sizes of the flow control.
const (
	// ChunkSize bounds the data of one message.
	ChunkSize = 16 << 10
	// MaxCredit bounds the chunks a reader may have in flight, so at most
	// MaxCredit×ChunkSize bytes (4 MiB) wait in NATS for a slow reader.
	MaxCredit = 256
	// DefaultCredit is used when a request asks for none.
	DefaultCredit = 32
)
