package policy_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/services/runner/policy"
)

// bkIn is a BuildKit-mode judgement on the test host, with secret "npm".
func bkIn(args map[string]string) policy.DockerfileInput {
	return policy.DockerfileInput{Args: args, Base: bases, BuildKit: true, Platform: "linux/amd64", Secrets: []string{"npm"}}
}

// bkCases are Dockerfiles as current projects write them for BuildKit, and
// the rule each is refused by ("" when accepted).
var bkCases = []struct {
	name, dockerfile string
	args             map[string]string
	rule             string
}{
	// What current Dockerfiles use, accepted.
	{"RUN heredoc", fb + "RUN <<EOF\nset -e\necho hi > /hi\nEOF\n", nil, ""},
	{"COPY heredoc", fb + "COPY <<EOF /etc/app.conf\nport=80\nEOF\n", nil, ""},
	{"ADD heredoc", fb + "ADD <<EOF /x\nhello\nEOF\n", nil, ""},
	{"multi-stage", "FROM busybox AS build\nRUN echo x > /x\nFROM scratch\nCOPY --from=build /x /x\n", nil, ""},
	{"FROM --platform=$BUILDPLATFORM", "FROM --platform=$BUILDPLATFORM busybox AS b\nARG TARGETOS TARGETARCH\nRUN echo $TARGETOS/$TARGETARCH\n", nil, ""},
	{"FROM --platform=$TARGETPLATFORM", "FROM --platform=${TARGETPLATFORM} busybox\n", nil, ""},
	{"FROM --platform written out", "FROM --platform=linux/amd64 busybox\n", nil, ""},
	{"platform args in a stage", fb + "ARG TARGETPLATFORM BUILDPLATFORM\nRUN echo $TARGETPLATFORM $BUILDPLATFORM\n", nil, ""},
	{"COPY flags", fb + "COPY --chmod=755 --chown=1:1 --link app /app\nCOPY --parents --exclude=*.md src/ /s/\n", nil, ""},
	{"ADD of context files", fb + "ADD --chmod=644 app.tar.gz /opt/\n", nil, ""},
	{"syntax 1", "# syntax=docker/dockerfile:1\n" + fb, nil, ""},
	{"syntax 1.4", "# syntax=docker/dockerfile:1.4\n" + fb, nil, ""},
	{"syntax 1-labs", "#syntax = docker/dockerfile:1-labs\n" + fb, nil, ""},
	{"syntax docker.io 1.7.1-labs", "# syntax=docker.io/docker/dockerfile:1.7.1-labs\n# check=skip=all\n" + fb, nil, ""},
	{"syntax then escape", "# syntax=docker/dockerfile:1\n# escape=`\n" + fb + "RUN echo a `\n  b\n", nil, ""},
	{"check directive", "# check=error=true\n" + fb, nil, ""},
	{"secret mount", fb + "RUN --mount=type=secret,id=npm,required cat /run/secrets/npm\n", nil, ""},
	{"secret mount as env", fb + "RUN --mount=type=secret,id=npm,env=NPM_TOKEN true\n", nil, ""},
	{"optional secret not provided", fb + "RUN --mount=type=secret,id=other true\n", nil, ""},
	{"tmpfs mount", fb + "RUN --mount=type=tmpfs,target=/tmp,size=64m true\n", nil, ""},
	{"bind from the context", fb + "RUN --mount=type=bind,source=src,target=/src,rw make -C /src\n", nil, ""},
	{"bind from a stage", "FROM busybox AS b\nFROM busybox\nRUN --mount=type=bind,from=b,source=/bin,target=/b ls /b\n", nil, ""},
	{"network none", fb + "RUN --network=none true\n", nil, ""},
	{"cache mount", fb + "RUN --mount=type=cache,target=/root/.cache go build\n", nil, ""},
	{"ARG shadows the base image's ENV", "FROM alice/envurl\nARG U=file.txt\nADD $U /x\n", nil, ""},
	// Still refused on BuildKit.
	{"other syntax image", "# syntax=evil/frontend:1\n" + fb, nil, policy.RuleDockerfile},
	{"syntax docker/dockerfile:2", "# syntax=docker/dockerfile:2\n" + fb, nil, policy.RuleDockerfile},
	{"syntax after a shebang", "#!/usr/bin/env buildctl\n# syntax=evil/frontend\n" + fb, nil, policy.RuleDockerfile},
	{"BUILDKIT_SYNTAX arg", fb, map[string]string{"BUILDKIT_SYNTAX": "evil/frontend"}, policy.RuleBuildArg},
	{"BUILDKIT_CACHE_MOUNT_NS arg", fb, map[string]string{"buildkit_cache_mount_ns": "u-bob"}, policy.RuleBuildArg},
	{"another platform", "FROM --platform=linux/arm64 busybox\n", nil, policy.RuleDockerfile},
	{"another platform by arg", "ARG P=linux/s390x\nFROM --platform=$P busybox\n", nil, policy.RuleDockerfile},
	{"TARGETPLATFORM overridden", "FROM --platform=$TARGETPLATFORM busybox\n", map[string]string{"TARGETPLATFORM": "linux/arm64"}, policy.RuleDockerfile},
	{"ssh mount", fb + "RUN --mount=type=ssh ssh-add -l\n", nil, policy.RulePath},
	{"ssh mount by variable", fb + "ARG T=ssh\nRUN --mount=type=$T true\n", nil, policy.RulePath},
	{"network host", fb + "RUN --network=host true\n", nil, policy.RuleHostNS},
	{"security insecure", fb + "RUN --security=insecure true\n", nil, policy.RuleEntitlement},
	{"ADD URL", fb + "ADD https://example.com/x /x\n", nil, policy.RuleRemoteSource},
	{"ADD git", fb + "ADD git@github.com:a/b.git /x\n", nil, policy.RuleRemoteSource},
	{"ADD scp-like git, any user", fb + "ADD 0@0: 0\n", nil, policy.RuleRemoteSource},
	{"ADD scp-like git by ARG", fb + "ARG R=deploy@10.0.0.1:repo.git\nADD $R /src\n", nil, policy.RuleRemoteSource},
	{"ADD --checksum", fb + "ADD --checksum=sha256:0 x /x\n", nil, policy.RuleRemoteSource},
	{"ADD URL by ARG", fb + "ARG U=" + bait + "\nADD $U /x\n", nil, policy.RuleRemoteSource},
	{"bind out of the context", fb + "RUN --mount=type=bind,source=../..,target=/h ls\n", nil, policy.RulePath},
	{"bind a host path", fb + "RUN --mount=type=bind,source=/etc,target=/h ls\n", nil, policy.RulePath},
	{"bind source by ARG", fb + "ARG S=/etc\nRUN --mount=type=bind,source=$S,target=/h ls\n", nil, policy.RulePath},
	{"mount from a variable", fb + "ARG I=bob/x\nRUN --mount=type=bind,from=$I,target=/h ls\n", nil, policy.RuleDockerfile},
	{"mount from quoted", fb + "RUN --mount=type=bind,from='alpine:3',target=/h ls\n", nil, ""},
	{"mount from a URL", fb + "RUN --mount=type=bind,from=https://example.com/x,target=/h ls\n", nil, policy.RuleRemoteSource},
	{"cache from a URL", fb + "RUN --mount=type=cache,from=git@github.com:a/b,target=/h ls\n", nil, policy.RuleRemoteSource},
	{"COPY --from a URL", fb + "COPY --from=https://example.com/x / /\n", nil, policy.RuleRemoteSource},
	{"COPY --from a variable", fb + "ARG I=busybox\nCOPY --from=$I /x /x\n", nil, policy.RuleDockerfile},
	{"required secret not provided", fb + "RUN --mount=type=secret,id=aws,required=true true\n", nil, policy.RuleDockerfile},
	{"required secret by target", fb + "RUN --mount=type=secret,target=/run/secrets/aws,required true\n", nil, policy.RuleDockerfile},
	{"cache mount in a trigger", fb + "ONBUILD RUN --mount=type=cache,target=/c true\n", nil, policy.RuleDockerfile},
	{"cache id unknown", "FROM alice/nothere\nRUN --mount=type=cache,id=$X,target=/c true\n", nil, ""},
	{"cache id with a space", fb + "RUN --mount=type=cache,\"id=a b\",target=/c true\n", nil, policy.RuleDockerfile},
	{"device", fb + "RUN --device=/dev/kvm true\n", nil, policy.RuleDevices},
	{"label", fb + "LABEL dockeronline.owner=u-bob\n", nil, policy.RuleReservedLabel},
	{"workdir /proc", fb + "WORKDIR /proc/1/root\n", nil, policy.RuleProcWorkdir},
}

func TestDockerfileBuildKit(t *testing.T) {
	for _, c := range bkCases {
		t.Run(c.name, func(t *testing.T) {
			in := bkIn(c.args)
			refs, err := policy.CheckDockerfileWith(builder, []byte(c.dockerfile), in)
			if c.name == "cache id unknown" {
				// an unknown base: the id is not known, so it is refused
				if ae := apierr.From(err); ae == nil {
					t.Fatalf("accepted a cache id the judge cannot know")
				}
				return
			}
			if c.rule == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				bkOracle(t, []byte(c.dockerfile), in, refs, builder.UserID)
				return
			}
			if ae := apierr.From(err); ae == nil || ae.Rule != c.rule {
				t.Fatalf("got %v, want rule %s", err, c.rule)
			}
		})
	}
}

// TestDockerfileBuildKitClassicUnchanged: the classic judge still refuses
// what Docker 20.10 cannot build.
func TestDockerfileBuildKitClassicUnchanged(t *testing.T) {
	for _, df := range []string{fb + "RUN <<EOF\ntrue\nEOF\n", fb + "RUN --mount=type=secret,id=npm true\n"} {
		if _, err := policy.CheckDockerfileWith(builder, []byte(df), policy.DockerfileInput{Base: bases}); err == nil {
			t.Fatalf("classic mode accepted %q", df)
		}
	}
}

// TestCacheMountScoped: every spelling of a cache mount ends up in the
// user's namespace, on BuildKit's own reading of the returned text, and
// the rest of the Dockerfile reads as written.
func TestCacheMountScoped(t *testing.T) {
	cases := []struct {
		name, dockerfile string
		args             map[string]string
		want             []string // cache ids in the LLB
	}{
		{"target only", fb + "RUN --mount=type=cache,target=/root/.cache true\n", nil, []string{"/u-alice//root/.cache"}},
		{"id", fb + "RUN --mount=type=cache,id=go,target=/c true\n", nil, []string{"/u-alice/go"}},
		{"ID upper case", fb + "RUN --mount=type=cache,ID=go,target=/c true\n", nil, []string{"/u-alice/go"}},
		{"id climbing", fb + "RUN --mount=type=cache,id=../u-bob/go,target=/c true\n", nil, []string{"/u-alice/../u-bob/go"}},
		{"id of another user", fb + "RUN --mount=type=cache,id=/u-bob/go,target=/c true\n", nil, []string{"/u-alice//u-bob/go"}},
		{"id by ARG", fb + "ARG OTHER=u-bob/go\nRUN --mount=type=cache,id=$OTHER,target=/c true\n", nil, []string{"/u-alice/u-bob/go"}},
		{"id by request arg", fb + "ARG OTHER\nRUN --mount=type=cache,id=${OTHER},target=/c true\n", map[string]string{"OTHER": "u-bob"}, []string{"/u-alice/u-bob"}},
		{"id by ENV", fb + "ENV ID=x\nRUN --mount=type=cache,id=${ID:-y},target=/c true\n", nil, []string{"/u-alice/x"}},
		{"quoted field", fb + "RUN --mount=\"type=cache,id=q,target=/c\" true\n", nil, []string{"/u-alice/q"}},
		{"quoted value", fb + "RUN --mount=type=cache,id='q',target=/c true\n", nil, []string{"/u-alice/q"}},
		{"type by variable", fb + "ARG T=cache\nRUN --mount=type=$T,target=/c true\n", nil, []string{"/u-alice//c"}},
		{"two caches, a bind and a secret", fb + "RUN --mount=type=cache,target=/a --mount=type=bind,source=.,target=/src --mount=type=secret,id=npm --mount=type=cache,id=b,sharing=locked,target=/b,mode=0700,uid=1 true\n", nil, []string{"/u-alice//a", "/u-alice/b"}},
		{"continued lines and a comment", fb + "RUN --mount=type=cache,target=/a \\\n# a comment\n    --network=none \\\n    echo one \\\n    two\nRUN echo after\n", nil, []string{"/u-alice//a"}},
		{"heredoc", fb + "RUN --mount=type=cache,target=/a <<EOF\necho $HOME\nEOF\nRUN echo after\n", nil, []string{"/u-alice//a"}},
		{"exec form", fb + "RUN --mount=type=cache,target=/a [\"sh\", \"-c\", \"echo <a> & b\"]\n", nil, []string{"/u-alice//a"}},
		{"escape token", "# escape=`\n" + fb + "RUN --mount=type=cache,target=/a `\n  echo x\n", nil, []string{"/u-alice//a"}},
		{"syntax and cache", "# syntax=docker/dockerfile:1.7\n# escape=\\\n" + fb + "RUN --mount=type=cache,target=/a true\n", nil, []string{"/u-alice//a"}},
		{"CRLF lines", "FROM busybox\r\nRUN --mount=type=cache,target=/a \\\r\n  echo x\r\nRUN echo y\r\n", nil, []string{"/u-alice//a"}},
		{"two heredocs, one chomped", fb + "RUN --mount=type=cache,target=/a <<A <<-B\necho a\nA\n\techo b\n\tB\nRUN echo after\n", nil, []string{"/u-alice//a"}},
		{"flags over lines", fb + "RUN \\\n  --mount=type=cache,target=/a \\\n\n  --mount=type=cache,target=/b \\\n  true\n", nil, []string{"/u-alice//a", "/u-alice//b"}},
		{"no newline at the end", fb + "RUN --mount=type=cache,target=/a true", nil, []string{"/u-alice//a"}},
		{"cache from a stage", "FROM busybox AS seed\nFROM busybox\nRUN --mount=type=cache,from=seed,source=/bin,target=/a true\n", nil, []string{"/u-alice//a"}},
		{"cache in a later stage", "FROM busybox AS a\nRUN --mount=type=cache,target=/x true\nFROM a\nARG N=npm\nRUN --mount=type=cache,id=$N,target=/y true\n", nil, []string{"/u-alice//x", "/u-alice/npm"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := bkIn(c.args)
			refs, err := policy.CheckDockerfileWith(builder, []byte(c.dockerfile), in)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if refs.Dockerfile == nil {
				t.Fatalf("a Dockerfile with cache mounts was not rewritten")
			}
			got := bkOracle(t, []byte(c.dockerfile), in, refs, builder.UserID)
			slices.Sort(got)
			want := slices.Sorted(slices.Values(c.want))
			if !slices.Equal(got, want) {
				t.Fatalf("cache ids %v, want %v\n%s", got, want, refs.Dockerfile)
			}
			// The lines after the rewritten ones keep their numbers.
			lines := func(s string) int { return len(strings.Split(strings.TrimSuffix(s, "\n"), "\n")) }
			if a, b := lines(c.dockerfile), lines(string(refs.Dockerfile)); a != b {
				t.Fatalf("%d lines became %d:\n%s", a, b, refs.Dockerfile)
			}
		})
	}
}

// TestBuildKitRefs: secrets and images as the frontend reads them.
func TestBuildKitRefs(t *testing.T) {
	df := "# syntax=docker/dockerfile:1\nFROM busybox AS b\nFROM alpine:3\n" +
		"RUN --mount=type=secret,id=npm,required --mount=type=secret,target=/run/secrets/gh true\n" +
		"COPY --from=alice/tools:2 /t /t\nRUN --mount=type=bind,from=b,target=/b --mount=type=cache,from=alice/seed,target=/c true\n"
	refs, err := policy.CheckDockerfileWith(builder, []byte(df), bkIn(nil))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"busybox", "alpine:3", "alice/tools:2", "alice/seed"}; !slices.Equal(refs.Images, want) {
		t.Errorf("images %v, want %v", refs.Images, want)
	}
	if want := []string{"npm", "gh"}; !slices.Equal(refs.Secrets, want) {
		t.Errorf("secrets %v, want %v", refs.Secrets, want)
	}
	if strings.Contains(string(refs.Dockerfile), "syntax") {
		t.Errorf("the syntax directive is still there:\n%s", refs.Dockerfile)
	}
}

// TestBuildKitTarget: TARGETSTAGE is the stage built, as BuildKit sets it;
// a request's build arg of a platform name still cannot pick a platform.
func TestBuildKitTarget(t *testing.T) {
	df := "FROM busybox AS build\nARG TARGETSTAGE\nRUN --mount=type=cache,id=$TARGETSTAGE,target=/c true\nFROM build AS final\n"
	for _, c := range []struct{ target, id string }{{"build", "/u-alice/build"}, {"", "/u-alice/final"}} {
		in := bkIn(nil)
		in.Target = c.target
		refs, err := policy.CheckDockerfileWith(builder, []byte(df), in)
		if err != nil {
			t.Fatal(err)
		}
		if got := bkOracle(t, []byte(df), in, refs, builder.UserID); !slices.Equal(got, []string{c.id}) {
			t.Errorf("target %q: cache ids %v, want %s", c.target, got, c.id)
		}
	}
}
