package terminal

import (
	"strings"

	"github.com/dockeronline/platform/pkg/config"
)

// Config is the terminal's part of the gateway's configuration.
type Config struct {
	// AllowedOrigins are origins ("https://ui.example.com") allowed to open
	// a terminal websocket besides the gateway's own origin
	// (GATEWAY_ALLOWED_ORIGINS, comma-separated; default none).
	AllowedOrigins []string
	// XtermDir holds xterm.js' CommonJS modules and xterm.css, as Debian's
	// node-xterm installs them (XTERM_DIR, default /usr/share/nodejs/xterm/lib).
	XtermDir string
}

// LoadConfig reads the environment.
func LoadConfig(e *config.Env) Config {
	var origins []string
	for _, o := range strings.Split(e.String("GATEWAY_ALLOWED_ORIGINS", ""), ",") {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			origins = append(origins, strings.ToLower(o))
		}
	}
	return Config{
		AllowedOrigins: origins,
		XtermDir:       e.String("XTERM_DIR", "/usr/share/nodejs/xterm/lib"),
	}
}
