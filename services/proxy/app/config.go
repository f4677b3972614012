package app

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/linktoken"
)

// Config is the proxy's configuration; README.md documents every variable.
type Config struct {
	config.Common

	// ProxyAddr is the public HTTP listener (PROXY_ADDR).
	ProxyAddr string
	// TLSAddr is the public HTTPS listener (PROXY_TLS_ADDR), used when
	// TLSCertFile and TLSKeyFile are both set.
	TLSAddr     string
	TLSCertFile string // TLS_CERT_FILE: PEM certificate chain (a wildcard for *.AppsDomain)
	TLSKeyFile  string // TLS_KEY_FILE: its PEM key

	// AppsDomain is the domain under which every app has a one-label host
	// name (APPS_DOMAIN), lower case, without a leading or trailing dot.
	AppsDomain string
	// GatewayURL is where a browser is sent to prove who it is for a private
	// link (GATEWAY_URL); the gateway serves /auth/link.
	GatewayURL *url.URL
	// LinkSecret is the HMAC secret shared with the gateway (LINK_SECRET).
	// Empty: private links are refused with a page that says so.
	LinkSecret []byte
	// LinkCookieTTL is how long a private-link cookie lasts (LINK_COOKIE_TTL).
	LinkCookieTTL time.Duration
	// LinksHTTPS: web links are public over https, by the scheme of
	// APPS_URL_TEMPLATE (the gateway's setting, e.g. "https://{host}/");
	// the link cookie is then Secure even where TLS ends before the proxy.
	LinksHTTPS bool
	// DialTimeout bounds connecting to an app (UPSTREAM_DIAL_TIMEOUT).
	DialTimeout time.Duration
	// TraceRequests makes a span per proxied request (TRACE_REQUESTS).
	// Off by default: app traffic is high-volume, and a span costs about as
	// much CPU as the rest of the proxy's own work on a request.
	TraceRequests bool
}

// Defaults.
const (
	DefaultHTTPAddr   = "127.0.0.1:8084"
	DefaultProxyAddr  = "127.0.0.1:8000"
	DefaultTLSAddr    = "127.0.0.1:8443"
	DefaultAppsDomain = "apps.localhost"
	DefaultGatewayURL = "http://127.0.0.1:8080"
)

// LoadConfig reads the configuration from e.
func LoadConfig(e *config.Env) (Config, error) {
	c := Config{
		Common:        config.LoadCommon(e, DefaultHTTPAddr),
		ProxyAddr:     e.String("PROXY_ADDR", DefaultProxyAddr),
		TLSAddr:       e.String("PROXY_TLS_ADDR", DefaultTLSAddr),
		TLSCertFile:   e.String("TLS_CERT_FILE", ""),
		TLSKeyFile:    e.String("TLS_KEY_FILE", ""),
		AppsDomain:    strings.Trim(strings.ToLower(e.String("APPS_DOMAIN", DefaultAppsDomain)), "."),
		LinkSecret:    []byte(e.String("LINK_SECRET", "")),
		LinkCookieTTL: e.Duration("LINK_COOKIE_TTL", 12*time.Hour),
		DialTimeout:   e.Duration("UPSTREAM_DIAL_TIMEOUT", 3*time.Second),
		TraceRequests: e.Bool("TRACE_REQUESTS", false),
	}
	gw := e.String("GATEWAY_URL", DefaultGatewayURL)
	tmpl := e.String("APPS_URL_TEMPLATE", "")
	if err := e.Err(); err != nil {
		return c, err
	}
	u, err := url.Parse(gw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("config: GATEWAY_URL=%q is not an absolute http(s) URL", gw)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	c.GatewayURL = u
	if tmpl != "" {
		t, err := url.Parse(strings.ReplaceAll(tmpl, "{host}", "x."+c.AppsDomain))
		if err != nil || (t.Scheme != "http" && t.Scheme != "https") {
			return c, fmt.Errorf("config: APPS_URL_TEMPLATE=%q is not an absolute http(s) URL", tmpl)
		}
		c.LinksHTTPS = t.Scheme == "https"
	}
	if err := validDomain(c.AppsDomain); err != nil {
		return c, fmt.Errorf("config: APPS_DOMAIN=%q: %w", c.AppsDomain, err)
	}
	if n := len(c.LinkSecret); n > 0 && n < linktoken.MinSecretLen {
		return c, fmt.Errorf("config: LINK_SECRET must be at least %d bytes (it is %d)", linktoken.MinSecretLen, n)
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return c, errors.New("config: set both TLS_CERT_FILE and TLS_KEY_FILE, or neither")
	}
	if c.LinkCookieTTL <= 0 || c.DialTimeout <= 0 {
		return c, errors.New("config: LINK_COOKIE_TTL and UPSTREAM_DIAL_TIMEOUT must be positive")
	}
	return c, nil
}

// TLSEnabled reports whether the HTTPS listener is configured.
func (c Config) TLSEnabled() bool { return c.TLSCertFile != "" }

// validDomain accepts a DNS name of letters, digits, '-' and dots.
func validDomain(d string) error {
	if d == "" || len(d) > 200 {
		return errors.New("must be a DNS name")
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return errors.New("must be a DNS name")
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '-' {
				return errors.New("must be a DNS name")
			}
		}
	}
	return nil
}
