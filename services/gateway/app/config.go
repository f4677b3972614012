// Package app wires the gateway: the HTTP router (API, Kratos' public API
// under /.ory/kratos/public/, health), NATS and tracing. main runs it;
// tests run the same code in-process.
package app

import (
	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/services/gateway/builds"
	"github.com/dockeronline/platform/services/gateway/linkauth"
	"github.com/dockeronline/platform/services/gateway/loginlimit"
	"github.com/dockeronline/platform/services/gateway/ratelimit"
	"github.com/dockeronline/platform/services/gateway/terminal"
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
	// Login is the sign-in lockout (LOGIN_MAX_FAILURES,
	// LOGIN_FAILURE_WINDOW, LOGIN_LOCKOUT, LOGIN_MAX_LOCKOUT).
	Login loginlimit.Options
	// RateLimit is the per-user API rate (API_RATE_PER_SECOND,
	// API_RATE_BURST, API_RATE_MAX_USERS).
	RateLimit ratelimit.Options
	// Uploads bounds uploaded build contexts and stack projects
	// (BUILD_MAX_CONTEXT_MB, BUILD_CONTEXT_TTL, BUILD_CONTEXTS_MAX_MB).
	Uploads builds.UploadConfig
	// Terminal is the browser terminal's settings (GATEWAY_ALLOWED_ORIGINS,
	// XTERM_DIR).
	Terminal terminal.Config
}

// LoadConfig reads the environment: every setting of the gateway is read
// here, once, and passed down; no package below reads the environment, and
// a malformed value stops the gateway at start with the variable named.
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
	c.Login = loginlimit.LoadOptions(e)
	c.Uploads = builds.LoadUploadConfig(e)
	c.Terminal = terminal.LoadConfig(e)
	var err error
	if c.RateLimit, err = ratelimit.LoadOptions(e); err != nil {
		return c, err
	}
	if c.Web, err = web.LoadConfig(e); err != nil {
		return c, err
	}
	// Tickets go only to the links' public scheme and port.
	c.Link.AppsURLTemplate = c.Web.AppsURLTemplate
	return c, e.Err()
}
