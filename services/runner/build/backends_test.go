package build_test

import (
	"testing"

	"github.com/dockeronline/platform/pkg/testenv"
)

// backend is one of the runner's two builders: the engine's classic
// builder, or standalone BuildKit (RUNNER_BUILDKIT_ADDR).
type backend struct {
	name     string
	buildkit bool
}

var backends = []backend{{name: "classic"}, {name: "buildkit", buildkit: true}}

// env is the runner settings for the backend: for BuildKit, a daemon of
// the test's own (testenv.BuildKit) and a runner BuildKit dir of its own.
func (b backend) env(t *testing.T, extra ...map[string]string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, m := range extra {
		for k, v := range m {
			env[k] = v
		}
	}
	if b.buildkit {
		bk := testenv.BuildKit(t)
		env["RUNNER_BUILDKIT_ADDR"] = bk.Addr
		env["RUNNER_BUILDKIT_DIR"] = t.TempDir()
	}
	return env
}

// eachBackend runs f as a subtest per backend.
func eachBackend(t *testing.T, f func(t *testing.T, be backend)) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) { f(t, be) })
	}
}
