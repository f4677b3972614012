package policy

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	specs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
)

// RuleBuildArg refuses build args that are BuildKit frontend options rather
// than variables (BUILDKIT_SYNTAX picks another frontend image,
// BUILDKIT_CACHE_MOUNT_NS the namespace of cache mounts, …): only the
// runner sets them.
const RuleBuildArg = "reserved-build-args"

// bkCheck is what BuildKit mode adds to a Dockerfile's judgement: the
// user's cache mount namespace, the platform, and the secret mounts seen.
//
// Cache mount ids are BuildKit's global cache keys: two users' "--mount=
// type=cache,target=/root/.cache" would share one directory. The judge
// reads every cache mount exactly as the frontend will (its variables
// expanded in the stage's environment) and writes it back literally with
// the id "<user id>/<id or target>"; the rewritten text is then judged
// again (verify), where every cache mount's id must already start with the
// prefix, so what is returned is checked on the frontend's own reading.
type bkCheck struct {
	prefix   string
	verify   bool
	host     specs.Platform
	provided map[string]bool
	secrets  []string        // ids in order of use
	required map[string]bool // id -> some mount requires it
	runs     map[int]*parser.Node
	rewrites map[int][]string // a RUN's new flag words, by its first line
	triggers int              // ONBUILD triggers being judged (depth)
}

// syntaxRef is a syntax directive the built-in dockerfile frontend stands
// for: docker/dockerfile 1.x, mainline or labs, optionally pinned.
var syntaxRef = regexp.MustCompile(`^(docker\.io/)?docker/dockerfile:1(\.[0-9]+){0,2}(-labs)?(@sha256:[0-9a-f]{64})?$`)

// checkBuildKit judges a Dockerfile for BuildKit's dockerfile frontend and
// returns, when it had to change it, the text to build (cache mounts
// scoped to the user, the syntax directive dropped).
func checkBuildKit(c identity.Caller, dockerfile []byte, in DockerfileInput) (DockerfileRefs, error) {
	bk, err := newBKCheck(c, in)
	if err != nil {
		return DockerfileRefs{}, err
	}
	syntaxLine, err := checkSyntax(dockerfile)
	if err != nil {
		return DockerfileRefs{}, err
	}
	refs, res, err := judgeBK(c, dockerfile, in, bk)
	if err != nil {
		return refs, err
	}
	if syntaxLine < 0 && len(bk.rewrites) == 0 {
		return refs, nil
	}
	out, err := rewriteDockerfile(dockerfile, res, bk.runs, bk.rewrites, syntaxLine)
	if err != nil {
		return DockerfileRefs{}, err
	}
	// The text returned is what BuildKit builds: judge it again as such.
	again, err := newBKCheck(c, in)
	if err != nil {
		return DockerfileRefs{}, err
	}
	again.verify = true
	if _, _, _, ok := parser.DetectSyntax(out); ok {
		return DockerfileRefs{}, rule(apierr.CodeInvalid, RuleDockerfile, "the syntax directive could not be set aside; write it as the first line, \"# syntax=docker/dockerfile:1\"")
	}
	refs, _, err = judgeBK(c, out, in, again)
	if err != nil {
		return DockerfileRefs{}, err
	}
	refs.Dockerfile = out
	return refs, nil
}

func newBKCheck(c identity.Caller, in DockerfileInput) (*bkCheck, error) {
	host := platforms.DefaultSpec()
	if in.Platform != "" {
		p, err := platforms.Parse(in.Platform)
		if err != nil {
			return nil, apierr.New(apierr.CodeInternal, "the build platform %q: %v", in.Platform, err)
		}
		host = p
	}
	for k := range in.Args {
		if strings.HasPrefix(strings.ToUpper(k), "BUILDKIT_") {
			return nil, rule(apierr.CodePolicy, RuleBuildArg, "build arg %s: BUILDKIT_* args are options of the builder, which the platform sets", k)
		}
	}
	bk := &bkCheck{host: platforms.Normalize(host), provided: map[string]bool{}, required: map[string]bool{},
		runs: map[int]*parser.Node{}, rewrites: map[int][]string{}}
	// User ids never hold "/": the prefix is theirs alone.
	if c.UserID != "" && !strings.ContainsAny(c.UserID, "/\\") {
		bk.prefix = c.UserID + "/"
	}
	for _, id := range in.Secrets {
		bk.provided[id] = true
	}
	return bk, nil
}

// checkSyntax reads the syntax directive as the frontend does (which would
// run the named image as the frontend): only docker/dockerfile 1.x is
// accepted, built in. It returns the directive's line (0-based), or -1.
func checkSyntax(dockerfile []byte) (int, error) {
	ref, _, loc, ok := parser.DetectSyntax(dockerfile)
	if !ok {
		return -1, nil
	}
	if !syntaxRef.MatchString(strings.TrimSpace(ref)) {
		return -1, rule(apierr.CodePolicy, RuleDockerfile, "syntax %q: only the built-in Dockerfile frontend (docker/dockerfile:1, :1.N, :1-labs…) runs here; drop the directive or name docker/dockerfile:1", ref)
	}
	if len(loc) == 0 {
		return -1, rule(apierr.CodeInvalid, RuleDockerfile, "the syntax directive has no line")
	}
	return loc[0].Start.Line - 1, nil // the parser counts from 1
}

// judgeBK parses and judges dockerfile on BuildKit's reading.
func judgeBK(c identity.Caller, dockerfile []byte, in DockerfileInput, bk *bkCheck) (DockerfileRefs, *parser.Result, error) {
	res, err := parser.Parse(bytes.NewReader(dockerfile))
	if err != nil {
		return DockerfileRefs{}, nil, rule(apierr.CodeInvalid, RuleDockerfile, "the Dockerfile does not parse: %v", err)
	}
	for _, n := range res.AST.Children {
		if strings.EqualFold(n.Value, "run") {
			bk.runs[n.StartLine] = n
		}
	}
	d, stages, metaArgs, err := newCheck(c, res, in)
	if err != nil {
		return DockerfileRefs{}, nil, err
	}
	d.bk = bk
	d.platformArgs(in.Target, stages)
	refs, err := d.judge(stages, metaArgs)
	if err != nil {
		return refs, nil, err
	}
	refs.Secrets = bk.secrets
	for _, id := range bk.secrets {
		if bk.required[id] && !bk.provided[id] {
			return refs, nil, rule(apierr.CodeInvalid, RuleDockerfile, "RUN --mount=type=secret,id=%s,required: the build provides no secret %q; add it to the build's secrets", id, id)
		}
	}
	return refs, res, nil
}

// platformArgs are BuildKit's automatic global args: the host's platform
// for both build and target (no emulation), and the stage built. A
// request's build arg of the same name replaces one, as in BuildKit.
func (d *dockerfileCheck) platformArgs(target string, stages []instructions.Stage) {
	p := d.bk.host
	if target == "" {
		target = stages[len(stages)-1].Name
	}
	if target == "" {
		target = "default"
	}
	for k, v := range map[string]string{
		"BUILDPLATFORM": platforms.Format(p), "BUILDOS": p.OS, "BUILDOSVERSION": p.OSVersion,
		"BUILDARCH": p.Architecture, "BUILDVARIANT": p.Variant,
		"TARGETPLATFORM": platforms.FormatAll(p), "TARGETOS": p.OS, "TARGETOSVERSION": p.OSVersion,
		"TARGETARCH": p.Architecture, "TARGETVARIANT": p.Variant, "TARGETSTAGE": target,
	} {
		d.meta[k] = &value{v, true}
	}
}

// platform judges FROM --platform: once expanded with the global args it
// must name the build's own platform (no emulation runs here).
func (d *dockerfileCheck) platform(st *instructions.Stage) error {
	if st.Platform == "" {
		return nil
	}
	v, err := d.exact(d.metaGet, "FROM --platform", st.Platform)
	if err != nil {
		return err
	}
	p, err := platforms.Parse(v)
	if err != nil {
		return rule(apierr.CodeInvalid, RuleDockerfile, "FROM --platform=%s: %v", st.Platform, err)
	}
	if !platforms.OnlyStrict(d.bk.host).Match(platforms.Normalize(p)) {
		return rule(apierr.CodePolicy, RuleDockerfile, "FROM --platform=%s names %s; builds run on %s only (no emulation)", st.Platform, platforms.Format(p), platforms.Format(d.bk.host))
	}
	return nil
}

// bkMetaArg is a global ARG as BuildKit reads it: one pair after the other,
// the request's value first, else the default expanded with the global args
// so far; a pair without either leaves the global arg as it was.
func (d *dockerfileCheck) bkMetaArg(a *instructions.ArgCommand) error {
	for _, kv := range a.Args {
		k, err := d.exact(d.metaGet, "ARG", kv.Key)
		if err != nil {
			return err
		}
		if v, ok := d.args[k]; ok {
			d.meta[k] = &value{v, true}
			continue
		}
		if kv.Value == nil {
			if _, ok := d.meta[k]; !ok {
				d.meta[k] = nil
			}
			continue
		}
		v, err := d.expand(d.metaGet, *kv.Value)
		if err != nil {
			return err
		}
		d.meta[k] = &v
	}
	return nil
}

// bkArgCmd is an ARG in a stage as BuildKit reads it: the value (request,
// else default expanded, else the global arg) becomes a variable of the
// stage's environment, replacing one of the same name, pair by pair.
func (d *dockerfileCheck) bkArgCmd(s *stage, c *instructions.ArgCommand) error {
	get := d.stageGet(s)
	for _, kv := range c.Args {
		k, err := d.exact(get, "ARG", kv.Key)
		if err != nil {
			return err
		}
		var v *value
		if r, ok := d.args[k]; ok {
			v = &value{r, true}
		} else if kv.Value != nil {
			x, err := d.expand(get, *kv.Value)
			if err != nil {
				return err
			}
			v = &x
		} else if g, ok := d.metaGet(k); ok {
			v = &g
		}
		// BuildKit keeps its SBOM scan args out of the environment.
		if v != nil && !strings.HasPrefix(k, "BUILDKIT_SBOM_SCAN_") {
			s.env[k] = *v
		}
	}
	return nil
}

// bkFrom judges COPY --from on BuildKit: the frontend takes it as written
// and refuses one its lexer would change, so the judge does too.
func (d *dockerfileCheck) bkFrom(from string) error {
	out, _, err := d.lex.ProcessWord(from, &lookup{get: func(string) (value, bool) { return value{}, false }})
	if err != nil || out != from {
		return rule(apierr.CodeInvalid, RuleDockerfile, "COPY --from=%s: --from is read as written (no variables, quotes or escapes); name the stage or image", from)
	}
	return d.bkSource("COPY --from="+from, from)
}

// bkSource notes the stage or image a COPY --from or a mount's from= reads;
// a URL-like one is refused (the frontend would take it for an image).
func (d *dockerfileCheck) bkSource(what, from string) error {
	switch {
	case from == "" || d.isStage(from):
	case isRemote(from):
		return rule(apierr.CodePolicy, RuleRemoteSource, "%s: sources are stages or images, nothing fetched", what)
	default:
		d.addImage(from)
	}
	return nil
}
