package web

import (
	"crypto/rand"
	"fmt"
	"net/url"
	"strconv"
	"strings"

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
	port := e.Int("APPS_PORT", 8000)
	c := Config{
		AppsDomain:      strings.Trim(strings.ToLower(e.String("APPS_DOMAIN", "apps.localhost")), "."),
		AppsURLTemplate: e.String("APPS_URL_TEMPLATE", defaultAppsTemplate(port)),
		Secret:          []byte(e.String("WEB_SECRET", "")),
	}
	if err := e.Err(); err != nil {
		return c, err
	}
	if port < 1 || port > 65535 {
		return c, fmt.Errorf("config: APPS_PORT=%d is not a port", port)
	}
	if c.AppsDomain == "" {
		return c, fmt.Errorf("config: APPS_DOMAIN is empty")
	}
	if err := checkTemplate(c.AppsURLTemplate); err != nil {
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

func defaultAppsTemplate(port int) string {
	if port == 80 {
		return "http://{host}/"
	}
	return "http://{host}:" + strconv.Itoa(port) + "/"
}

// checkTemplate accepts an absolute http(s) URL template holding {host}.
func checkTemplate(t string) error {
	if !strings.Contains(t, "{host}") {
		return fmt.Errorf("config: APPS_URL_TEMPLATE=%q must contain {host}", t)
	}
	u, err := url.Parse(strings.ReplaceAll(t, "{host}", "web--user.example"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("config: APPS_URL_TEMPLATE=%q is not an absolute http(s) URL", t)
	}
	return nil
}
