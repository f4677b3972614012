package policy

import (
	"path"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/dockeronline/platform/pkg/apierr"
)

// ConfigTarget is where Compose puts a service's config: its target, under
// "/" when relative, "/<source>" when unset.
func ConfigTarget(source, target string) string {
	switch {
	case target == "":
		return "/" + source
	case !strings.HasPrefix(target, "/"):
		return "/" + target
	}
	return target
}

// SecretTarget is where Compose puts a service's secret: its target, under
// /run/secrets when relative or unset.
func SecretTarget(source, target string) string {
	switch {
	case target == "":
		return "/run/secrets/" + source
	case !strings.HasPrefix(target, "/"):
		return "/run/secrets/" + target
	}
	return target
}

// fileTargets judges where a service's configs and secrets are copied
// (Compose copies them into the container before it starts): a path
// without "..", not on /proc or /sys, like a mount's target.
func fileTargets(svc string, s types.ServiceConfig) error {
	check := func(kind, source, target string) error {
		if strings.Contains(target, "..") || path.Clean(target) == "/" {
			return rule(apierr.CodeInvalid, RuleVolumeTarget, "%s: %s %q: target %q must be a path inside the container without '..'", svc, kind, source, target)
		}
		if underKernelFS(target) {
			return rule(apierr.CodePolicy, RuleVolumeTarget, "%s: %s %q: target %q is on /proc or /sys: copy it elsewhere", svc, kind, source, target)
		}
		return nil
	}
	for _, c := range s.Configs {
		if err := check("config", c.Source, ConfigTarget(c.Source, c.Target)); err != nil {
			return err
		}
	}
	for _, c := range s.Secrets {
		if err := check("secret", c.Source, SecretTarget(c.Source, c.Target)); err != nil {
			return err
		}
	}
	return nil
}

// asWritten shows a path outside the upload as the file wrote it: relative
// ("../secrets/key") when compose-go resolved it from the project's
// folder, so a refusal never tells where the runner unpacks uploads.
func asWritten(root, p string) string {
	if Inside(filepath.Dir(root), p) {
		if rel, err := filepath.Rel(root, p); err == nil {
			return filepath.ToSlash(rel)
		}
	}
	return relTo(root, p)
}
