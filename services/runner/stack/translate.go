package stack

import (
	"fmt"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/services/runner/policy"
)

// translation is what a deploy honours differently from the file as
// written, so that a compose file pasted from a project's README runs in
// the user's sandbox: each step rewrites the loaded project toward what
// the file means inside the sandbox (a host port becomes a web link, a
// project file becomes a copy, …) and says so in a note. What would reach
// out of the sandbox is left as written, for the policy to refuse by rule.
type translation struct {
	project *types.Project
	dir     *projectDir
	tenant  policy.Tenant
	stack   string      // the stack's name as the user gave it
	apps    config.Apps // where web links live, for the notes that show them
	notes   []string
	seeds   []seed // volumes translateFiles made, created (and filled) before Compose runs
}

// note records a note for the job's output and result.
func (tr *translation) note(format string, args ...any) {
	tr.notes = append(tr.notes, fmt.Sprintf(format, args...))
}

// translateSteps run in order, after compose-go's load and before
// normalize puts the project into the user's namespace.
var translateSteps = []func(*translation) error{
	// Files first: its volumes and configs join the project before
	// normalize names them, and the policy judges what it leaves.
	translateFiles,
	// Ports and images are independent of the other steps: they read the
	// service keys (for link names) and images as the file wrote them.
	translatePorts,
	translateBuiltImages,
	// Network settings only: independent of the steps that rename or
	// rewrite services' files and ports.
	translateIPAM,
	// Last: notes on what interpolation left empty, from the file as
	// written.
	translateUnset,
}

// translate runs every step on the loaded project.
func translate(tr *translation) error {
	for _, step := range translateSteps {
		if err := step(tr); err != nil {
			return err
		}
	}
	return nil
}
