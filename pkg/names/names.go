// Package names holds the naming rules shared by every service. A username
// names a Linux account, Docker objects and web links, and an object name
// becomes part of a DNS label, so both are validated here, once, and again
// wherever they are used.
package names

import (
	"fmt"
	"strings"
)

// Separator joins a username and an object name in Docker names
// ("alice--web") and in web links ("web--alice.apps.example").
const Separator = "--"

// Limits. A web link label "<name>-<port>--<user>" must fit in one DNS
// label (63 bytes): 24 + len("-65535") + 2 + 31 = 63.
const (
	UsernameMin = 3
	UsernameMax = 31
	ObjectMax   = 24
)

// Error is a naming-rule violation; Rule names the rule for the caller.
type Error struct {
	Rule    string
	Message string
}

func (e *Error) Error() string { return e.Message }

func fail(rule, format string, args ...any) error {
	return &Error{Rule: rule, Message: fmt.Sprintf(format, args...)}
}

// ValidateUsername checks a username: lowercase, 3–31 bytes,
// [a-z][a-z0-9-]*, not ending in '-', no "--", not reserved (see
// Reserved: Docker Hub's namespaces, system accounts, platform names).
func ValidateUsername(s string) error {
	if len(s) < UsernameMin || len(s) > UsernameMax {
		return fail("username-length", "username %q must be %d to %d characters", s, UsernameMin, UsernameMax)
	}
	if s[0] < 'a' || s[0] > 'z' {
		return fail("username-charset", "username %q must start with a lowercase letter", s)
	}
	if err := checkLabelChars("username", s); err != nil {
		return err
	}
	if why := Reserved(s); why != "" {
		return fail("username-reserved", "username %q is reserved (%s); choose another", s, why)
	}
	return nil
}

// ValidateObject checks the name a user gives a container, volume, network
// or stack: 1–24 bytes of [a-z0-9-], starting and ending with a letter or
// digit, no "--" (that separates it from the username).
func ValidateObject(kind, s string) error {
	if s == "" {
		return fail("name-required", "%s name is required", kind)
	}
	if len(s) > ObjectMax {
		return fail("name-length", "%s name %q is longer than %d characters", kind, s, ObjectMax)
	}
	if !isAlnum(s[0]) {
		return fail("name-charset", "%s name %q must start with a lowercase letter or digit", kind, s)
	}
	return checkLabelChars(kind+" name", s)
}

func checkLabelChars(what, s string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' {
			return fail("name-charset", "%s %q may only hold lowercase letters, digits and '-'", what, s)
		}
	}
	if s[len(s)-1] == '-' {
		return fail("name-charset", "%s %q must not end with '-'", what, s)
	}
	if strings.Contains(s, Separator) {
		return fail("name-separator", "%s %q must not contain %q", what, s, Separator)
	}
	return nil
}

func isAlnum(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') }

// Docker is the Docker name of a user's object: "<user>--<name>".
func Docker(username, name string) string { return username + Separator + name }

// SplitDocker undoes Docker; ok is false when s is not a platform name.
func SplitDocker(s string) (username, name string, ok bool) {
	username, name, ok = strings.Cut(strings.TrimPrefix(s, "/"), Separator)
	return username, name, ok && username != "" && name != ""
}
