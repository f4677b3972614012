package policy

import (
	"path"
	"strings"

	"github.com/moby/moby/api/types/container"

	"github.com/dockeronline/platform/pkg/apierr"
)

// procAliases are paths Docker's /dev sets up as symbolic links into
// /proc/self/fd: /dev/fd/8 is /proc/self/fd/8.
var procAliases = []string{"/dev/fd", "/dev/stdin", "/dev/stdout", "/dev/stderr"}

// underProc reports whether the container path p resolves under /proc,
// lexically: cleaned ("/./proc", "//proc", "/x/../proc") and through the
// links Docker itself puts in /dev. Links an image carries cannot be seen
// here; the runtime's own fix covers those.
func underProc(p string) bool {
	if p == "" {
		return false
	}
	c := path.Clean("/" + p)
	if c == "/proc" || strings.HasPrefix(c, "/proc/") {
		return true
	}
	for _, a := range procAliases {
		if c == a || strings.HasPrefix(c, a+"/") {
			return true
		}
	}
	return false
}

// underKernelFS reports whether a mount target lies on /proc or /sys: a
// volume or tmpfs there would shadow the kernel's files the runtime masks
// or makes read-only.
func underKernelFS(p string) bool {
	c := path.Clean("/" + p)
	return underProc(c) || c == "/sys" || strings.HasPrefix(c, "/sys/")
}

// checkWorkdir refuses a working directory under /proc, on every path:
// the API's working_dir, a raw Config, Compose's working_dir.
func checkWorkdir(cfg *container.Config) error {
	if cfg != nil && underProc(cfg.WorkingDir) {
		return rule(apierr.CodePolicy, RuleProcWorkdir, "working directory %q is under /proc: use a directory of the image or a volume", cfg.WorkingDir)
	}
	return nil
}

// CheckImage judges what an image brings to a container that does not
// override it (a pulled or built image can carry anything): a WORKDIR
// under /proc, where Docker would start it, and a health check more
// frequent than the platform allows.
func CheckImage(own *container.Config, workdir string, health *container.HealthConfig) error {
	if own.WorkingDir == "" && underProc(workdir) {
		return rule(apierr.CodePolicy, RuleProcWorkdir, "the image's working directory %q is under /proc: set a working directory for the container, or use another image", workdir)
	}
	if own.Healthcheck == nil {
		return CheckHealthcheck(health)
	}
	return nil
}

// checkMountTargets refuses mounts (volumes, tmpfs) onto /proc or /sys.
func checkMountTargets(_ Tenant, h *container.HostConfig) error {
	for _, m := range h.Mounts {
		if underKernelFS(m.Target) {
			return rule(apierr.CodePolicy, RuleVolumeTarget, "mount target %q is on /proc or /sys: mount elsewhere", m.Target)
		}
	}
	for target := range h.Tmpfs {
		if underKernelFS(target) {
			return rule(apierr.CodePolicy, RuleVolumeTarget, "tmpfs target %q is on /proc or /sys: mount elsewhere", target)
		}
	}
	return nil
}

// CheckExec judges a process started in a running container (Compose's
// post_start and pre_stop hooks, execs): its working directory and
// environment are bounded like a container's, for everyone.
func (e *Engine) CheckExec(workdir string, env, cmd []string) error {
	if err := checkWorkdir(&container.Config{WorkingDir: workdir}); err != nil {
		return err
	}
	if err := e.checkEnvSize(env); err != nil {
		return err
	}
	if n := bytesOf(cmd); len(cmd) > maxArgs || n > maxArgBytes {
		return sizeRule("command", len(cmd), n, maxArgs, maxArgBytes)
	}
	return nil
}
