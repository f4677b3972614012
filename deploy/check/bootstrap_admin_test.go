package check

import (
	"strings"
	"testing"
)

// TestExampleBootstrapAdminIsNoUsername: the example configuration names
// the first admin by e-mail (honoured once verified), never by a username
// someone else could register first; auth refuses a username there at
// start, and make run sets none by default.
func TestExampleBootstrapAdminIsNoUsername(t *testing.T) {
	_, vals := exampleEnv(t)
	if v := vals["BOOTSTRAP_ADMIN"]; !strings.Contains(v, "@") {
		t.Errorf("platform.env.example: BOOTSTRAP_ADMIN=%q is not an e-mail address", v)
	}
	if _, ok := vals["BOOTSTRAP_ADMIN_ID"]; !ok {
		t.Error("platform.env.example does not offer BOOTSTRAP_ADMIN_ID")
	}
	env := string(readFile(t, repoPath(t, "scripts", "env.sh")))
	if !strings.Contains(env, `BOOTSTRAP_ADMIN=${BOOTSTRAP_ADMIN:-}"`) {
		t.Error("scripts/env.sh gives make run a default BOOTSTRAP_ADMIN")
	}
}
