// Package app wires the gateway: the HTTP router (API, Kratos' public API
// under /.ory/kratos/public/, health), NATS and tracing. main runs it;
// tests run the same code in-process.
package app

import (
	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/services/gateway/linkauth"
	"github.com/dockeronline/platform/services/gateway/web"
)

// DefaultMetricsAddr is where /metrics is served by default: loopback.
const DefaultMetricsAddr = "127.0.0.1:9080"

// Config is the gateway's configuration (see README).
type Config struct {
	config.Common
	// KratosPublicURL is Kratos' public API, reverse-proxied under
	// /.ory/kratos/public/ so browsers see one origin (KRATOS_PUBLIC_URL).
	KratosPublicURL string
	// Link is the private-link hop's settings (LINK_SECRET shared with the
	// proxy; APPS_DOMAIN, default apps.localhost).
	Link linkauth.Config
	// MetricsAddr serves /metrics, apart from the public listener
	// (METRICS_ADDR, default 127.0.0.1:9080; empty: not served).
	MetricsAddr string
	// Web is the web UI's settings (APPS_DOMAIN, APPS_PORT,
	// APPS_URL_TEMPLATE, WEB_SECRET; see docs/UI.md).
	Web web.Config
}

// LoadConfig reads the environment.
func LoadConfig(e *config.Env) (Config, error) {
	c := Config{
		Common:          config.LoadCommon(e, "127.0.0.1:8080"),
		KratosPublicURL: e.String("KRATOS_PUBLIC_URL", "http://127.0.0.1:4433"),
		MetricsAddr:     e.String("METRICS_ADDR", DefaultMetricsAddr),
		Link: linkauth.Config{
			Secret:     []byte(e.String("LINK_SECRET", "")),
			AppsDomain: e.String("APPS_DOMAIN", "apps.localhost"),
			LoginPath:  KratosPrefix + "/self-service/login/browser?return_to=",
		},
	}
	var err error
	if c.Web, err = web.LoadConfig(e); err != nil {
		return c, err
	}
	// Tickets go only to the links' public scheme and port.
	c.Link.AppsURLTemplate = c.Web.AppsURLTemplate
	return c, e.Err()
}
