package stack

import (
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/services/runner/build"
	"github.com/dockeronline/platform/services/runner/policy"
)

// buildSecrets are the values of a build's secrets (build: secrets:), by
// the id the Dockerfile reads (target, else the secret's name), as docker
// compose passes them: content:, environment: from the project's
// variables, or file: read from the upload (never the runner's disk: the
// policy has judged the path inside the project, and the archive holds
// only regular files). Bounded like a build request's secrets.
func buildSecrets(dir *projectDir, p *types.Project, b *types.BuildConfig) (map[string][]byte, error) {
	if len(b.Secrets) == 0 {
		return nil, nil
	}
	vals := map[string]string{}
	for _, ref := range b.Secrets {
		def, ok := p.Secrets[ref.Source]
		if !ok {
			return nil, apierr.Invalid("build secret %q is not defined under the top-level secrets:", ref.Source)
		}
		id := ref.Target
		if id == "" {
			id = ref.Source
		}
		switch {
		case def.Content != "":
			vals[id] = def.Content
		case def.Environment != "":
			vals[id] = p.Environment[def.Environment]
		case def.File != "":
			rel, err := filepath.Rel(dir.path, def.File)
			if err != nil || !policy.Inside(dir.path, def.File) {
				return nil, apierr.Policy(policy.RuleUploadPaths, "build secret %q is outside the uploaded project", ref.Source)
			}
			data, ok := dir.archive.File(filepath.ToSlash(rel))
			if !ok {
				return nil, apierr.Invalid("build secret %q: the upload has no file %s (a regular file, not a link)", ref.Source, filepath.ToSlash(rel))
			}
			vals[id] = string(data)
		default:
			return nil, apierr.Invalid("build secret %q has no content:, environment: or file:", ref.Source)
		}
	}
	if err := build.ValidateSecrets(vals); err != nil {
		return nil, err
	}
	return build.SecretBytes(vals), nil
}
