// Package app wires the gateway: the HTTP router (API, Kratos' public API
// under /.ory/kratos/public/, health), NATS and tracing. main runs it;
// tests run the same code in-process.
package app

import (
	"github.com/dockeronline/platform/pkg/config"
)

// Config is the gateway's configuration (see README).
type Config struct {
	config.Common
	// KratosPublicURL is Kratos' public API, reverse-proxied under
	// /.ory/kratos/public/ so browsers see one origin (KRATOS_PUBLIC_URL).
	KratosPublicURL string
}

// LoadConfig reads the environment.
func LoadConfig(e *config.Env) (Config, error) {
	c := Config{
		Common:          config.LoadCommon(e, "127.0.0.1:8080"),
		KratosPublicURL: e.String("KRATOS_PUBLIC_URL", "http://127.0.0.1:4433"),
	}
	return c, e.Err()
}
