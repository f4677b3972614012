package policy_test

import (
	"strings"
	"testing"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/services/runner/policy"
)

// bait is where the attacks below point: Kratos' admin API on the Docker
// host's loopback, as in the report of issue 14.
const bait = "http://127.0.0.1:4434/admin/identities"

// bases stands in for the engine's image store: what each base image sets.
func bases(ref string) (policy.BaseImage, error) {
	img, ok := map[string]policy.BaseImage{
		"busybox":          {Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
		"alpine:3":         {Env: []string{"PATH=/usr/bin:/bin"}},
		"alice/envurl":     {Env: []string{"U=" + bait}},
		"alice/procwd":     {WorkingDir: "/proc/self/fd/7"},
		"alice/root":       {WorkingDir: "/"},
		"alice/onbuild":    {OnBuild: []string{"ADD " + bait + " /x"}},
		"alice/onbuild-u":  {Env: []string{"U=" + bait}, OnBuild: []string{"ADD $U /x"}},
		"alice/onbuildwd":  {OnBuild: []string{"WORKDIR /proc/self/cwd"}},
		"alice/onbuildmix": {OnBuild: []string{"ADD " + bait + " /x\nRUN true"}},
	}[ref]
	if !ok {
		return img, apierr.NotFound("image %q not found", ref)
	}
	return img, nil
}

// fb is the usual first line.
const fb = "FROM busybox\n"

// expansionCases are Dockerfiles as the builder will expand them, and the
// rule each must be refused by ("" when accepted); the fuzz target starts
// from them too.
var expansionCases = []struct {
	name, dockerfile string
	args             map[string]string
	rule             string // "" means accepted
}{
	// Remote sources, however they are spelled.
	{"URL carried by ENV", fb + "ENV U=" + bait + "\nADD $U /x\n", nil, policy.RuleRemoteSource},
	{"URL in an ARG default", fb + "ARG U=" + bait + "\nADD ${U} /x\n", nil, policy.RuleRemoteSource},
	{"URL in a meta ARG declared again", "ARG U=" + bait + "\n" + fb + "ARG U\nADD $U /x\n", nil, policy.RuleRemoteSource},
	{"meta ARG not declared again is empty", "ARG U=" + bait + "\n" + fb + "ADD ${U:-local.txt} /x\n", nil, ""},
	{"URL as a :- default", fb + "ADD ${U:-" + bait + "} /x\n", nil, policy.RuleRemoteSource},
	{"URL as a :+ alternative", fb + "ENV U=1\nADD ${U:+" + bait + "} /x\n", nil, policy.RuleRemoteSource},
	{"a URL anywhere in the word, even unused", fb + "ADD ${U:+" + bait + "}local.txt /x\n", nil, policy.RuleRemoteSource},
	{":+ of an unset variable is empty", fb + "ADD ${U:+local.txt}other.txt /x\n", nil, ""},
	{"URL from a build arg", fb + "ARG SRC=local.txt\nADD $SRC /x\n", map[string]string{"SRC": bait}, policy.RuleRemoteSource},
	{"build arg for an undeclared ARG is ignored", fb + "ADD ${SRC:-local.txt} /x\n", map[string]string{"SRC": bait}, ""},
	{"built-in proxy arg", fb + "ADD $HTTP_PROXY /x\n", map[string]string{"HTTP_PROXY": bait}, policy.RuleRemoteSource},
	{"ENV wins over ARG", fb + "ENV S=" + bait + "\nARG S=local.txt\nADD $S /x\n", map[string]string{"S": "local.txt"}, policy.RuleRemoteSource},
	{"one ENV line expands with the env before it", fb + "ENV A=" + bait + " B=x$A\nADD $B /x\n", nil, ""},
	{"the next ENV line sees it", fb + "ENV A=" + bait + "\nENV B=$A\nADD $B /x\n", nil, policy.RuleRemoteSource},
	{"ARG default from ENV", fb + "ENV A=" + bait + "\nARG B=$A\nADD $B /x\n", nil, policy.RuleRemoteSource},
	{"backtick escape directive", "# escape=`\n" + fb + "ADD h`ttp://127.0.0.1:4434/ /x\n", nil, policy.RuleRemoteSource},
	{"anything with :// is refused, even a literal backslash", "# escape=`\n" + fb + "ADD h\\ttp://127.0.0.1:4434/ /x\n", nil, policy.RuleRemoteSource},
	{"escape directive after one Docker 20.10 does not know", "# check=skip=all\n# escape=`\n" + fb + "RUN echo `\nADD " + bait + " /x\n", nil, policy.RuleDockerfile},
	{"escape directive after syntax", "# syntax=docker/dockerfile:1\n# escape=`\n" + fb + "ADD h`ttp://127.0.0.1:4434/ /x\n", nil, policy.RuleRemoteSource},
	{"escape directive after a blank line is a comment", "\n# escape=`\n" + fb + "RUN echo \\\nADD " + bait + " /x\n", nil, ""}, // one RUN line, as for Docker 20.10
	{"escape directive with a byte order mark", "\xef\xbb\xbf# escape=`\n" + fb + "ADD h`ttp://127.0.0.1:4434/ /x\n", nil, policy.RuleRemoteSource},
	{"escape directive first, then syntax", "# escape=`\n# syntax=docker/dockerfile:1\n" + fb + "WORKDIR /app\n", nil, ""},
	{"escaped letter", fb + "ADD h\\ttp://127.0.0.1:4434/ /x\n", nil, policy.RuleRemoteSource},
	{"line continuation inside the scheme", fb + "ADD ht\\\ntp://127.0.0.1:4434/ /x\n", nil, policy.RuleRemoteSource},
	{"backtick continuation", "# escape=`\n" + fb + "ADD ht`\ntp://127.0.0.1:4434/ /x\n", nil, policy.RuleRemoteSource},
	{"quoted", fb + "ADD \"" + bait + "\" /x\n", nil, policy.RuleRemoteSource},
	{"single-quoted pieces", fb + "ADD 'ht''tp'://127.0.0.1:4434/ /x\n", nil, policy.RuleRemoteSource},
	{"JSON form", fb + "ADD [\"" + bait + "\",\"/x\"]\n", nil, policy.RuleRemoteSource},
	{"JSON form with a variable", fb + "ENV U=" + bait + "\nADD [\"$U\",\"/x\"]\n", nil, policy.RuleRemoteSource},
	{"upper-case scheme", fb + "ADD HTTP://127.0.0.1:4434/ /x\n", nil, policy.RuleRemoteSource},
	{"other scheme", fb + "ADD ftp://127.0.0.1:4434/x /x\n", nil, policy.RuleRemoteSource},
	{"lower-case instruction", "from busybox\nadd " + bait + " /x\n", nil, policy.RuleRemoteSource},
	{"ADD --checksum", fb + "ADD --checksum=sha256:0000000000000000000000000000000000000000000000000000000000000000 " + bait + " /x\n", nil, policy.RuleRemoteSource},
	{"scp-like git address", fb + "ADD git@127.0.0.1:a/b.git /x\n", nil, policy.RuleRemoteSource},
	{"git URL with a ref", fb + "ADD https://127.0.0.1:4434/a/b.git#main /x\n", nil, policy.RuleRemoteSource},
	{"second source", fb + "ADD a.txt " + bait + " /x/\n", nil, policy.RuleRemoteSource},
	{"ENV inherited from an earlier stage", "FROM busybox AS a\nENV U=" + bait + "\nFROM a\nADD $U /x\n", nil, policy.RuleRemoteSource},
	{"ARG not inherited from an earlier stage", "FROM busybox AS a\nARG U=" + bait + "\nFROM a\nADD ${U:-local.txt} /x\n", nil, ""},
	{"base image's ENV", "FROM alice/envurl\nADD $U /x\n", nil, policy.RuleRemoteSource},
	{"base image's ENV wins over ARG", "FROM alice/envurl\nARG U=local.txt\nADD $U /x\n", nil, policy.RuleRemoteSource},
	{"base image's ONBUILD", "FROM alice/onbuild\n", nil, policy.RuleRemoteSource},
	{"base image's ONBUILD with its ENV", "FROM alice/onbuild-u\n", nil, policy.RuleRemoteSource},
	{"base image's trigger of two lines", "FROM alice/onbuildmix\n", nil, policy.RuleDockerfile},
	{"ONBUILD fired in a later stage", "FROM busybox AS a\nONBUILD ADD $U /x\nENV U=" + bait + "\nFROM a\n", nil, policy.RuleRemoteSource},
	{"ONBUILD upper and lower case", fb + "onbuild add " + bait + " /x\n", nil, policy.RuleRemoteSource},
	{"unknown variable", fb + "ADD $NOPE /x\n", nil, ""},
	{"doubling ENV", fb + "ENV A=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n" + strings.Repeat("ENV A=$A$A\n", 40), nil, policy.RuleDockerfile},
	{"many lines reading a long value", fb + "ENV A=" + strings.Repeat("a", 60<<10) + "\n" + strings.Repeat("LABEL x=$A\n", 200), nil, policy.RuleDockerfile},
	{"lexer error", fb + "ADD ${U:?no value} /x\n", nil, policy.RuleDockerfile},
	{"COPY --from with a variable", "FROM busybox AS a\nFROM busybox\nARG S=a\nCOPY --from=$S /f /g\n", nil, policy.RuleDockerfile},
	{"COPY heredoc hiding an ADD", fb + "COPY <<EOF /x\nADD " + bait + " /y\nEOF\n", nil, policy.RuleDockerfile},
	{"RUN heredoc", fb + "RUN <<EOF\nwget " + bait + "\nEOF\n", nil, policy.RuleDockerfile},
	{"ADD heredoc", fb + "ADD <<EOF /x\nhello\nEOF\n", nil, policy.RuleDockerfile},
	{"a local ADD with variables", fb + "ARG V=1.0\nADD app-${V}.tar /x\n", nil, ""},
	{"a local COPY with ENV", fb + "ENV D=src\nCOPY $D/ /app/\n", nil, ""},
	// WORKDIR under /proc.
	{"WORKDIR /proc", fb + "WORKDIR /proc\n", nil, policy.RuleProcWorkdir},
	{"WORKDIR a leaked fd", fb + "WORKDIR /proc/self/fd/7\n", nil, policy.RuleProcWorkdir},
	{"WORKDIR with dot segments", fb + "WORKDIR /./proc/1/cwd\n", nil, policy.RuleProcWorkdir},
	{"WORKDIR climbing back", fb + "WORKDIR /x/../proc\n", nil, policy.RuleProcWorkdir},
	{"WORKDIR double slash", fb + "WORKDIR //proc/self\n", nil, policy.RuleProcWorkdir},
	{"relative WORKDIR", fb + "WORKDIR /\nWORKDIR proc/self/fd/8\n", nil, policy.RuleProcWorkdir},
	{"relative WORKDIR from the default", fb + "WORKDIR proc\n", nil, policy.RuleProcWorkdir},
	{"WORKDIR from ENV", fb + "ENV W=/proc/self/fd/8\nWORKDIR $W\n", nil, policy.RuleProcWorkdir},
	{"WORKDIR from a build arg", fb + "ARG W=/app\nWORKDIR $W\n", map[string]string{"W": "/proc/1/cwd"}, policy.RuleProcWorkdir},
	{"WORKDIR relative to the base's", "FROM alice/root\nWORKDIR proc\n", nil, policy.RuleProcWorkdir},
	{"base image working in /proc", "FROM alice/procwd\n", nil, policy.RuleProcWorkdir},
	{"base image's ONBUILD WORKDIR", "FROM alice/onbuildwd\n", nil, policy.RuleProcWorkdir},
	{"ONBUILD WORKDIR", fb + "ONBUILD WORKDIR /proc/self/fd/3\n", nil, policy.RuleProcWorkdir},
	{"WORKDIR inherited from a stage", "FROM busybox AS a\nWORKDIR /\nFROM a\nWORKDIR proc\n", nil, policy.RuleProcWorkdir},
	{"WORKDIR /procfs is fine", fb + "WORKDIR /procfs\nWORKDIR data\n", nil, ""},
	// Labels.
	{"reserved label key from ENV", fb + "ENV K=dockeronline.owner\nLABEL $K=u-bob\n", nil, policy.RuleReservedLabel},
	{"reserved label key quoted", fb + "LABEL \"dockeronline.owner\"=u-bob\n", nil, policy.RuleReservedLabel},
	{"reserved label key in capitals", fb + "LABEL DockerOnline.Owner=u-bob\n", nil, policy.RuleReservedLabel},
	{"reserved label key from a build arg", fb + "ARG K=x\nLABEL ${K}=u-bob\n", map[string]string{"K": "dockeronline.owner"}, policy.RuleReservedLabel},
}

// TestDockerfileExactExpansion: the policy judges the words the classic
// builder will use — its lexer, the file's escape token, ENV and ARG as they
// stand at each instruction (ENV winning), build args only for declared
// ARGs, meta ARGs only in FROM unless declared again, base images' ENV,
// WORKDIR and ONBUILD — and refuses any word it cannot know exactly.
func TestDockerfileExactExpansion(t *testing.T) {
	for _, c := range expansionCases {
		t.Run(c.name, func(t *testing.T) {
			_, err := policy.CheckDockerfileWith(builder, []byte(c.dockerfile), policy.DockerfileInput{Args: c.args, Base: bases})
			got := ""
			if ae := apierr.From(err); ae != nil {
				got = ae.Rule
			}
			if got != c.rule {
				t.Fatalf("got %v, want rule %q", err, c.rule)
			}
		})
	}
}

// TestDockerfileUnknownBase: without the base images, any variable the
// Dockerfile does not set may come from them; words that need one are
// refused, words that do not are judged as usual.
func TestDockerfileUnknownBase(t *testing.T) {
	cases := []struct{ name, dockerfile, rule string }{
		{"ADD of a base variable", "FROM busybox\nADD $U /x\n", policy.RuleDockerfile},
		{"ARG does not help: the base's ENV would win", "FROM busybox\nARG U=local.txt\nADD $U /x\n", policy.RuleDockerfile},
		{"ENV of the Dockerfile is known", "FROM busybox\nENV U=local.txt\nADD $U /x\n", ""},
		{"ENV built on a base variable", "FROM busybox\nENV U=$PATH\nWORKDIR $U\n", policy.RuleDockerfile},
		{"relative WORKDIR", "FROM busybox\nWORKDIR proc\n", policy.RuleDockerfile},
		{"absolute WORKDIR", "FROM busybox\nWORKDIR /app\nWORKDIR sub\n", ""},
		{"literal URL", "FROM busybox\nADD " + bait + " /x\n", policy.RuleRemoteSource},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := policy.CheckDockerfile(builder, []byte(c.dockerfile), nil)
			got := ""
			if ae := apierr.From(err); ae != nil {
				got = ae.Rule
			}
			if got != c.rule {
				t.Fatalf("got %v, want rule %q", err, c.rule)
			}
		})
	}
	// The resolver's refusal is the build's, unless a rule is broken
	// whatever the image holds.
	for df, want := range map[string]string{
		"FROM nobody/unknown\n":                      "",
		"FROM nobody/unknown\nADD $U /x\n":           "",
		"FROM nobody/unknown\nWORKDIR x\n":           "",
		"FROM nobody/unknown\nADD " + bait + " /x\n": policy.RuleRemoteSource,
		"FROM nobody/unknown\nWORKDIR /proc/self\n":  policy.RuleProcWorkdir,
		"FROM nobody/unknown\nCOPY ../../etc/x /x\n": policy.RulePath,
	} {
		_, err := policy.CheckDockerfileWith(builder, []byte(df), policy.DockerfileInput{Base: bases})
		ae := apierr.From(err)
		switch {
		case want == "" && (ae == nil || ae.Code != apierr.CodeNotFound):
			t.Errorf("%q: got %v, want the resolver's not found", df, err)
		case want != "" && (ae == nil || ae.Rule != want):
			t.Errorf("%q: got %v, want rule %s", df, err, want)
		}
	}
}
