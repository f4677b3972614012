package policy_test

import (
	"testing"

	"github.com/dockeronline/platform/services/runner/policy"
)

// FuzzDockerfilePolicyBuildKit feeds generated Dockerfiles (and a build arg)
// to the judge in BuildKit mode. For every one it accepts, BuildKit's own
// frontend converts the text the judge returned (bkOracle): every source
// the LLB reads must be the context or an image of refs.Images, every
// cache mount id must be in the user's namespace, every secret in
// refs.Secrets, and no step on the host's network or insecure.
func FuzzDockerfilePolicyBuildKit(f *testing.F) {
	for _, c := range bkCases {
		k, v := "", ""
		for k, v = range c.args {
		}
		f.Add(c.dockerfile, k, v)
	}
	for _, c := range expansionCases {
		f.Add(c.dockerfile, "", "")
	}
	f.Add(fb+"ARG ID\nRUN --mount=type=cache,id=$ID,target=/c true\n", "ID", "/u-bob/x")
	f.Add(fb+"ENV A=cache\nRUN --mount=type=$A,target=/c --mount=type=bind,from=alice/seed,target=/b true\n", "", "")
	f.Add("FROM alice/onbuild-u\nRUN --mount=type=cache,id=${U},target=/c true\n", "", "")
	f.Fuzz(func(t *testing.T, df, argKey, argVal string) {
		if len(df) > 4<<10 || len(argVal) > 256 {
			return
		}
		args := map[string]string{}
		if argKey != "" {
			args[argKey] = argVal
		}
		in := bkIn(args)
		refs, err := policy.CheckDockerfileWith(builder, []byte(df), in)
		if err != nil {
			return
		}
		bkOracle(t, []byte(df), in, refs, builder.UserID)
	})
}
