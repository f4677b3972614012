package config

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Apps is where web links live, read the same way by every service that
// writes one (the gateway's stack and UI links, the runner's deploy notes):
//   - Domain: APPS_DOMAIN, default apps.localhost (the proxy's default),
//     lower case, without leading or trailing dots;
//   - URLTemplate: APPS_URL_TEMPLATE, "{host}" replaced by a link's host
//     name; default "http://{host}:<APPS_PORT>/" (APPS_PORT, default 8000;
//     "http://{host}/" for port 80).
type Apps struct {
	Domain      string
	URLTemplate string
}

// LoadApps reads the web links' settings; an error is also recorded in
// e (Err), like a malformed value.
func LoadApps(e *Env) (Apps, error) {
	a, err := loadApps(e)
	if err != nil && e.err == nil {
		e.err = err
	}
	return a, err
}

func loadApps(e *Env) (Apps, error) {
	port := e.Int("APPS_PORT", 8000)
	a := Apps{
		Domain:      strings.Trim(strings.ToLower(e.String("APPS_DOMAIN", "apps.localhost")), "."),
		URLTemplate: e.String("APPS_URL_TEMPLATE", defaultAppsTemplate(port)),
	}
	if err := e.Err(); err != nil {
		return a, err
	}
	if port < 1 || port > 65535 {
		return a, fmt.Errorf("config: APPS_PORT=%d is not a port", port)
	}
	if a.Domain == "" {
		return a, fmt.Errorf("config: APPS_DOMAIN is empty")
	}
	return a, checkAppsTemplate(a.URLTemplate)
}

// URL is the web link of a host label ("web--alice"): the template with
// "{host}" replaced by label.domain.
func (a Apps) URL(label string) string {
	return strings.ReplaceAll(a.URLTemplate, "{host}", label+"."+a.Domain)
}

func defaultAppsTemplate(port int) string {
	if port == 80 {
		return "http://{host}/"
	}
	return "http://{host}:" + strconv.Itoa(port) + "/"
}

// checkAppsTemplate accepts an absolute http(s) URL template holding {host}.
func checkAppsTemplate(t string) error {
	if !strings.Contains(t, "{host}") {
		return fmt.Errorf("config: APPS_URL_TEMPLATE=%q must contain {host}", t)
	}
	u, err := url.Parse(strings.ReplaceAll(t, "{host}", "web--user.example"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("config: APPS_URL_TEMPLATE=%q is not an absolute http(s) URL", t)
	}
	return nil
}
