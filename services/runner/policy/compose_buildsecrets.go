package policy

import (
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/dockeronline/platform/pkg/apierr"
)

// buildSecrets judges a build's secrets: each names a top-level secret
// whose value the platform can give the build from what the user sent —
// content:, environment: (the project's variables) or a file: inside the
// upload — never a file of the host.
func buildSecrets(svc string, refs []types.ServiceSecretConfig, defs types.Secrets, root string) error {
	for _, ref := range refs {
		def, ok := defs[ref.Source]
		switch {
		case !ok:
			return rule(apierr.CodeInvalid, RuleComposeFeature, "service %q: build secret %q is not defined under the top-level secrets:", svc, ref.Source)
		case bool(def.External):
			return rule(apierr.CodePolicy, RuleComposeFeature, "service %q: build secret %q is external, a Swarm object, not supported here", svc, ref.Source)
		case def.File != "" && mentionsDockerSocket(def.File):
			return rule(apierr.CodePolicy, RuleDockerSock, "service %q: build secret %q may not read the Docker socket", svc, ref.Source)
		case def.File != "" && !Inside(root, def.File):
			return rule(apierr.CodePolicy, RuleUploadPaths, "service %q: build secret %q reads %s, outside the uploaded project", svc, ref.Source, relTo(root, def.File))
		case def.File == "" && def.Environment == "" && def.Content == "":
			return rule(apierr.CodeInvalid, RuleComposeFeature, "service %q: build secret %q has no content:, environment: or file:", svc, ref.Source)
		}
	}
	return nil
}
