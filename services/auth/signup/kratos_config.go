package signup

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// Jsonnet is the hook's request body template: only the traits are sent.
const Jsonnet = "function(ctx) { traits: ctx.identity.traits }"

// hooksEnv is the environment prefix of Kratos' setting
// selfservice.flows.registration.after.password.hooks.
const hooksEnv = "SELFSERVICE_FLOWS_REGISTRATION_AFTER_PASSWORD_HOOKS_"

// KratosEnv is the Kratos configuration, as environment variables, that
// calls this hook on the auth service at authURL before a new identity is
// stored, then signs the new user in (the session hook). can_interrupt
// makes a 400 from the hook refuse the registration with its messages on
// the field. Kratos reads a list from the environment only index by index.
func KratosEnv(authURL string) map[string]string {
	return map[string]string{
		hooksEnv + "0_HOOK":                 "web_hook",
		hooksEnv + "0_CONFIG_URL":           strings.TrimSuffix(authURL, "/") + Path,
		hooksEnv + "0_CONFIG_METHOD":        "POST",
		hooksEnv + "0_CONFIG_BODY":          "base64://" + base64.StdEncoding.EncodeToString([]byte(Jsonnet)),
		hooksEnv + "0_CONFIG_CAN_INTERRUPT": "true",
		hooksEnv + "1_HOOK":                 "session",
	}
}

// KratosHooks is the same hook list as JSON, for a Kratos config file
// (selfservice.flows.registration.after.password.hooks). Kratos does not
// read a list from one environment variable: use KratosEnv there.
func KratosHooks(authURL string) string {
	env := KratosEnv(authURL)
	hooks := []map[string]any{
		{"hook": "web_hook", "config": map[string]any{
			"url":           env[hooksEnv+"0_CONFIG_URL"],
			"method":        "POST",
			"body":          env[hooksEnv+"0_CONFIG_BODY"],
			"can_interrupt": true,
		}},
		{"hook": "session"},
	}
	b, _ := json.Marshal(hooks)
	return string(b)
}
