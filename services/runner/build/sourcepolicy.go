package build

import (
	spb "github.com/moby/buildkit/sourcepolicy/pb"
)

// sourcePolicy is BuildKit's backstop behind the policy engine's judgement
// of the Dockerfile: a build may read its own context and Dockerfile (the
// session's local dirs) and the base images the platform laid out for it
// (OCI layouts by manifest digest, served only by this build's session),
// and nothing else: no registry image, no URL (ADD https://…), no git
// repository, no other source type BuildKit may learn. A Dockerfile the
// judge misread still cannot fetch anything. The last matching rule wins,
// so the deny of everything comes first.
func sourcePolicy(manifests []string) *spb.Policy {
	rules := []*spb.Rule{
		{Action: spb.PolicyAction_DENY, Selector: &spb.Selector{Identifier: "*", MatchType: spb.MatchType_WILDCARD}},
		{Action: spb.PolicyAction_ALLOW, Selector: &spb.Selector{Identifier: "local://context", MatchType: spb.MatchType_EXACT}},
		{Action: spb.PolicyAction_ALLOW, Selector: &spb.Selector{Identifier: "local://dockerfile", MatchType: spb.MatchType_EXACT}},
	}
	for _, m := range manifests {
		rules = append(rules, &spb.Rule{Action: spb.PolicyAction_ALLOW,
			Selector: &spb.Selector{Identifier: "oci-layout://*@" + m, MatchType: spb.MatchType_WILDCARD}})
	}
	return &spb.Policy{Version: 1, Rules: rules}
}
