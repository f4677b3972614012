package policy

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/dockeronline/platform/pkg/apierr"
)

func TestBuildSecrets(t *testing.T) {
	root := "/work/project"
	defs := types.Secrets{
		"content": {Content: "tok"},
		"env":     {Environment: "NPM_TOKEN"},
		"file":    {File: root + "/secrets/npm.txt"},
		"host":    {File: "/etc/shadow"},
		"climb":   {File: root + "/../other/key"},
		"sock":    {File: root + "/var/run/docker.sock"},
		"ext":     {External: true},
		"empty":   {},
	}
	cases := []struct {
		source, rule string // rule "": accepted
	}{
		{"content", ""}, {"env", ""}, {"file", ""},
		{"host", RuleUploadPaths}, {"climb", RuleUploadPaths}, {"sock", RuleDockerSock},
		{"ext", RuleComposeFeature}, {"empty", RuleComposeFeature}, {"undefined", RuleComposeFeature},
	}
	for _, c := range cases {
		t.Run(c.source, func(t *testing.T) {
			err := buildSecrets("web", []types.ServiceSecretConfig{{Source: c.source, Target: "id"}}, defs, root)
			if c.rule == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if ae := apierr.From(err); ae == nil || ae.Rule != c.rule {
				t.Fatalf("got %v, want rule %s", err, c.rule)
			}
		})
	}
}
