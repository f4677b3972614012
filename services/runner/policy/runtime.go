package policy

import (
	"github.com/moby/moby/api/types/container"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
)

// The OCI runtimes the policy gives containers. runc is Docker's default;
// runsc is gVisor (scripts/register-runsc.sh registers it with dockerd
// under this name): each container gets its own user-space kernel, so a
// kernel bug reachable by system calls no longer reaches the host's.
const (
	RuntimeRunc  = "runc"
	RuntimeRunsc = "runsc"
)

// ValidRuntime checks a runtime name an operator or admin configures.
func ValidRuntime(name string) error {
	if name == RuntimeRunc || name == RuntimeRunsc {
		return nil
	}
	return apierr.Invalid("runtime %q is not one of %s, %s", name, RuntimeRunc, RuntimeRunsc)
}

// platformRuntime reports whether Docker may receive name: one the policy
// sets, or none (Docker's default, runc). Admit refuses anything else for
// users whatever path built the request; which of the two a user gets is
// ApplyRuntime's decision.
func platformRuntime(name string) bool {
	return name == "" || ValidRuntime(name) == nil
}

// Runtime is the runtime tenant t's containers run with: the one an admin
// chose for them (Tenant.Runtime, from the quota store) or the platform's
// default (RUNNER_RUNTIME).
func (e *Engine) Runtime(t Tenant) string {
	switch {
	case t.Runtime != "":
		return t.Runtime
	case e.Limits.Runtime != "":
		return e.Limits.Runtime
	}
	return RuntimeRunc
}

// ApplyRuntime sets the runtime of a container made for t. The runtime is
// the platform's choice, never the user's: a runtime in the user's request
// (raw host_config, compose runtime:) is refused unless it is the one the
// policy sets anyway. Admins are trusted with host options and keep the one
// they name. Every path calls it beside Bound, before Admit; a runsc
// container gets the runsc pids limit (Bound agrees, see pidsLimit).
func (e *Engine) ApplyRuntime(c identity.Caller, t Tenant, h *container.HostConfig) error {
	want := e.Runtime(t)
	switch {
	case h.Runtime == "" || h.Runtime == want:
	case c.IsAdmin():
		return nil
	default:
		return rule(apierr.CodePolicy, RuleRuntime, "runtime %q is not yours to choose: the platform runs your containers with %s; leave the runtime out", h.Runtime, want)
	}
	h.Runtime = want
	pl := e.pidsLimit(want)
	h.PidsLimit = &pl
	return nil
}

// pidsLimit is the pids limit of a container run with runtime. Under runsc
// Docker's pids limit counts the sandbox's host tasks, not the user's
// processes: with the ptrace platform every guest process costs a stub
// process and threads (~20 host tasks for a forking httpd), so the runc
// limit of 256 killed a runsc web server at 8 concurrent connections. The
// limit still bounds the host tasks a sandbox can take; a guest fork bomb
// ends the user's own sandbox at it.
func (e *Engine) pidsLimit(runtime string) int64 {
	if runtime == RuntimeRunsc && e.Limits.RunscPidsLimit > 0 {
		return e.Limits.RunscPidsLimit
	}
	return e.Limits.PidsLimit
}
