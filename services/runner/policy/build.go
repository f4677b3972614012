package policy

import (
	"strings"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/names"
)

// Build rules. A build runs on the Docker host, so the options that reach
// the host are judged like a container's: the network, privileges, and
// every path or URL the engine itself would read.
const (
	// RuleDockerfile refuses a Dockerfile that does not parse (the parser's
	// words, with the line), a word whose value the policy cannot know
	// exactly, and what Docker 20.10's builder would read otherwise than
	// BuildKit's parser (heredocs, an escape directive it ignores).
	RuleDockerfile = "dockerfile-syntax"
	// RuleRemoteSource refuses sources the engine would fetch itself (ADD
	// <url>, ADD <git repo>, remote build contexts): the engine fetches
	// from the Docker host's own network, where the platform's internal
	// services listen. RUN wget/curl inside the build works instead.
	RuleRemoteSource = "no-remote-build-sources"
	// RuleEntitlement refuses BuildKit entitlements (network.host,
	// security.insecure) and their Dockerfile forms.
	RuleEntitlement = "no-build-entitlements"
)

// buildNetworks are the networks a build may ask for (compose's build
// network too): ApplyBuild turns "" and "default" into the caller's own.
var buildNetworks = map[string]bool{"": true, "default": true, "none": true}

// AdmitBuild judges the options of an engine build for caller c: the
// network its RUN steps join (the caller's own default network, as their
// containers, or none: never the engine's bridge, never the host's),
// security options, cgroup, remote contexts and extra entitlements. It
// also bounds the build's resources (ApplyBuild must have run).
func (e *Engine) AdmitBuild(c identity.Caller, o *client.ImageBuildOptions, entitlements []string) error {
	if o.Memory > e.Limits.MaxMemoryMB<<20 {
		return rule(apierr.CodeInvalid, RuleMemory, "build memory %d MB is above the maximum of %d MB", o.Memory>>20, e.Limits.MaxMemoryMB)
	}
	for _, ent := range entitlements {
		switch ent {
		case "network.host":
			return rule(apierr.CodePolicy, RuleEntitlement, "entitlement %q would put build steps on the host's network", ent)
		case "security.insecure":
			return rule(apierr.CodePolicy, RuleEntitlement, "entitlement %q would run build steps privileged", ent)
		default:
			return rule(apierr.CodeInvalid, RuleEntitlement, "unknown entitlement %q", ent)
		}
	}
	if c.IsAdmin() {
		return nil
	}
	switch n := o.NetworkMode; {
	case n == "none", n == names.Docker(c.Username, DefaultNetwork):
	case strings.EqualFold(n, "host"):
		return rule(apierr.CodePolicy, RuleHostNS, "build network %q is not allowed: build steps run on your own network (default) or none", n)
	default:
		return rule(apierr.CodePolicy, RuleNetwork, "build network %q is not allowed: use default (your own network) or none", n)
	}
	switch {
	case len(o.SecurityOpt) > 0:
		return rule(apierr.CodePolicy, RuleSecurityOpt, "build security options are not allowed (%s)", strings.Join(o.SecurityOpt, ", "))
	case o.CgroupParent != "":
		return rule(apierr.CodePolicy, RuleCgroup, "build cgroup overrides are not allowed")
	case o.RemoteContext != "":
		return rule(apierr.CodePolicy, RuleRemoteSource, "remote build contexts are not allowed: upload the context, and fetch what you need in a RUN step")
	case o.Isolation != "" && o.Isolation != "default":
		return rule(apierr.CodePolicy, RuleRuntime, "build isolation %q is not allowed", o.Isolation)
	}
	return nil
}

// ApplyBuild bounds the resources of the build's RUN steps for caller c:
// the largest memory and CPU a container may have, no swap beyond it, and
// the caller's own default network when none or "default" is asked for
// (the runner makes sure it exists, as for containers). The pids limit
// comes from the cgroup parent the builder sets after admission.
func (e *Engine) ApplyBuild(c identity.Caller, o *client.ImageBuildOptions) {
	o.Memory = e.Limits.MaxMemoryMB << 20
	o.MemorySwap = o.Memory
	const period = 100000
	o.CPUPeriod = period
	o.CPUQuota = int64(e.Limits.MaxCPUs * period)
	switch strings.ToLower(o.NetworkMode) {
	case "", DefaultNetwork:
		o.NetworkMode = names.Docker(c.Username, DefaultNetwork)
	}
}

// DockerfileRefs is what a Dockerfile reads besides its context: the images
// it starts from or copies from. The caller must be allowed to use each
// (another user's built image is theirs alone).
type DockerfileRefs struct {
	Images []string
	Stages []string // stage names, in order
	// Dockerfile is the text to build when the judge rewrote it (BuildKit:
	// cache mounts scoped to the user, the syntax directive set aside);
	// nil: build the text as given.
	Dockerfile []byte
	// Secrets are the ids RUN --mount=type=secret reads (BuildKit).
	Secrets []string
}

// CheckDockerfile judges a Dockerfile whose base images are unknown (see
// CheckDockerfileWith): every variable the Dockerfile does not set itself
// may come from a base image, so a word that needs one is refused.
func CheckDockerfile(c identity.Caller, dockerfile []byte, args map[string]string) (DockerfileRefs, error) {
	return CheckDockerfileWith(c, dockerfile, DockerfileInput{Args: args})
}
