package web

import (
	"crypto/rand"
	"fmt"

	"github.com/dockeronline/platform/pkg/config"
)

// Config is what the web UI reads from the environment (see docs/UI.md).
type Config struct {
	// AppsDomain is the domain under which web links live (APPS_DOMAIN,
	// default apps.localhost, the proxy's default).
	AppsDomain string
	// AppsURLTemplate turns a link's host name into its URL; "{host}" is
	// replaced (APPS_URL_TEMPLATE, default "http://{host}:<APPS_PORT>/").
	AppsURLTemplate string
	// Secret signs the CSRF tokens of the UI's forms (WEB_SECRET). Several
	// gateways behind one name must share it; when empty a random one is
	// made at start, so a form outlives only the process that rendered it.
	Secret []byte
}

// MinSecretLen is the shortest WEB_SECRET accepted.
const MinSecretLen = 16

// LoadConfig reads the web UI's settings.
func LoadConfig(e *config.Env) (Config, error) {
	// One reader for the link settings: the runner's deploy notes write
	// the same links (pkg/config Apps).
	apps, err := config.LoadApps(e)
	c := Config{
		AppsDomain:      apps.Domain,
		AppsURLTemplate: apps.URLTemplate,
		Secret:          []byte(e.String("WEB_SECRET", "")),
	}
	if err != nil {
		return c, err
	}
	if err := e.Err(); err != nil {
		return c, err
	}
	switch n := len(c.Secret); {
	case n == 0:
		c.Secret = make([]byte, 32)
		_, _ = rand.Read(c.Secret)
	case n < MinSecretLen:
		return c, fmt.Errorf("config: WEB_SECRET must be at least %d bytes (it is %d)", MinSecretLen, n)
	}
	return c, nil
}
