package routes

import (
	"errors"
	"net"
	"strconv"
	"strings"

	"github.com/dockeronline/platform/pkg/names"
)

// Host names. An app is reached at "<label>.<apps domain>", where the label is
// "<name>--<user>" or, for one port of a container with several,
// "<name>-<port>--<user>". The label is one DNS label, so one wildcard
// certificate (*.<apps domain>) covers every app. The Host header is the only
// routing input; anything that does not parse is "no such app".

// maxLabel is the longest DNS label.
const maxLabel = 63

var errNotApp = errors.New("not an app host name")

// ParseHost validates a Host header against the apps domain and returns the
// route label and the host name (lower case, no port, no trailing dot).
func ParseHost(host, domain string) (label, hostname string, err error) {
	hostname = host
	if h, _, err := net.SplitHostPort(host); err == nil {
		hostname = h
	} else if strings.Contains(host, ":") {
		return "", "", errNotApp // "a:b:c" or "[::1]" without port: never an app
	}
	hostname = strings.TrimSuffix(strings.ToLower(hostname), ".")
	label, ok := strings.CutSuffix(hostname, "."+domain)
	if !ok || label == "" || strings.Contains(label, ".") {
		return "", "", errNotApp
	}
	if err := ValidLabel(label); err != nil {
		return "", "", err
	}
	return label, hostname, nil
}

// ValidLabel checks that label has the form "<name>[-<port>]--<user>" under
// the platform's naming rules (pkg/names).
func ValidLabel(label string) error {
	if len(label) > maxLabel {
		return errNotApp
	}
	left, user, ok := strings.Cut(label, names.Separator)
	if !ok || !validUser(user) {
		return errNotApp
	}
	if names.ValidateObject("container", left) == nil {
		return nil // "web" (or a container literally named "web-8080")
	}
	i := strings.LastIndexByte(left, '-')
	if i <= 0 || names.ValidateObject("container", left[:i]) != nil {
		return errNotApp
	}
	if _, ok := parsePort(left[i+1:]); !ok {
		return errNotApp
	}
	return nil
}

// validUser accepts a username by the naming rules; a reserved name passes,
// as that rule is about registering, not about reading a host name.
func validUser(u string) bool {
	err := names.ValidateUsername(u)
	var ne *names.Error
	return err == nil || (errors.As(err, &ne) && ne.Rule == "username-reserved")
}

// parsePort accepts 1–65535 written without sign or leading zero.
func parsePort(s string) (int, bool) {
	if s == "" || len(s) > 5 || s[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 1 && n <= 65535
}

// Labels returns the labels a container publishes: "<name>--<user>" for its
// lowest TCP port and, when it has several, "<name>-<port>--<user>" for each.
// ports must be sorted ascending and free of duplicates.
func Labels(name, user string, ports []int) []string {
	if len(ports) == 0 {
		return nil
	}
	out := []string{name + names.Separator + user}
	if len(ports) > 1 {
		for _, p := range ports {
			out = append(out, name+"-"+strconv.Itoa(p)+names.Separator+user)
		}
	}
	return out
}
