package stack

import (
	"os"
	"strings"
)

// translateUnset notes each variable the file uses that has no value and
// no default, where `docker compose` warns: "The "TAG" variable is not
// set. Defaulting to a blank string." The file loaded, so the blank did
// not break it; the note says which input of the stack form to fill. It
// reads the compose file as uploaded (the project's environment is the
// .env overridden by the request's env, as load built it).
func translateUnset(tr *translation) error {
	raw, err := os.ReadFile(tr.dir.abs(ComposeFile))
	if err != nil {
		return nil // the file loaded from here; nothing to add
	}
	for _, u := range unsetVariables(raw, tr.project.Environment) {
		tr.note("%s is not set: an empty value is used (%s)", u.Name, strings.Join(u.paths, ", "))
	}
	return nil
}
