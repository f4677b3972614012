// Package config reads service settings from the environment. Every setting
// has a documented default (see README's configuration table), so a service
// starts with no environment at all on a developer machine; a malformed
// value is an error at start, never a silent default.
package config

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Env reads typed values, remembering the first malformed one.
type Env struct {
	lookup func(string) (string, bool)
	err    error
	read   map[string]bool
}

// FromOS reads the process environment.
func FromOS() *Env { return &Env{lookup: os.LookupEnv} }

// FromMap reads m (tests).
func FromMap(m map[string]string) *Env {
	return &Env{lookup: func(k string) (string, bool) { v, ok := m[k]; return v, ok }}
}

// Err is the first malformed value met, if any.
func (e *Env) Err() error { return e.err }

// Read says whether key was looked up: a test checks that a service's
// configuration reads every setting its documentation names.
func (e *Env) Read(key string) bool { return e.read[key] }

func (e *Env) raw(key string) (string, bool) {
	if e.read == nil {
		e.read = map[string]bool{}
	}
	e.read[key] = true
	v, ok := e.lookup(key)
	return v, ok && v != ""
}

func (e *Env) fail(key, v, want string) {
	if e.err == nil {
		e.err = fmt.Errorf("config: %s=%q is not %s", key, v, want)
	}
}

// String is key's value or def.
func (e *Env) String(key, def string) string {
	if v, ok := e.raw(key); ok {
		return v
	}
	return def
}

// List is key's value (or def) split at commas, each item trimmed and
// empty items dropped: "a, b,,c" is [a b c]; an empty value is nil.
func (e *Env) List(key, def string) []string {
	var out []string
	for _, item := range strings.Split(e.String(key, def), ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// Int is key's value or def.
func (e *Env) Int(key string, def int) int {
	v, ok := e.raw(key)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e.fail(key, v, "an integer")
		return def
	}
	return n
}

// Float is key's value or def.
func (e *Env) Float(key string, def float64) float64 {
	v, ok := e.raw(key)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		e.fail(key, v, "a number")
		return def
	}
	return f
}

// Bool is key's value or def.
func (e *Env) Bool(key string, def bool) bool {
	v, ok := e.raw(key)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.fail(key, v, "a boolean")
		return def
	}
	return b
}

// Duration is key's value (Go syntax, e.g. "30s") or def.
func (e *Env) Duration(key string, def time.Duration) time.Duration {
	v, ok := e.raw(key)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		e.fail(key, v, "a duration such as 30s")
		return def
	}
	return d
}

// Common is what every service reads.
type Common struct {
	NATSURL  string // NATS_URL, default nats://127.0.0.1:4222
	HTTPAddr string // HTTP_ADDR: health, readiness and metrics (and the API for the gateway)
	LogLevel string // LOG_LEVEL, default info
}

// LoadCommon reads the common settings; defaultAddr is the service's own
// default HTTP_ADDR.
func LoadCommon(e *Env, defaultAddr string) Common {
	return Common{
		NATSURL:  e.String("NATS_URL", "nats://127.0.0.1:4222"),
		HTTPAddr: e.String("HTTP_ADDR", defaultAddr),
		LogLevel: e.String("LOG_LEVEL", "info"),
	}
}
