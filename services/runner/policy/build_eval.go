package policy

import (
	"bytes"
	"maps"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
)

// BaseImage is what the classic builder takes from the image a stage
// starts from: its environment (which wins over an ARG of the same name),
// its working directory (where RUN steps start, and what a relative
// WORKDIR joins) and its ONBUILD triggers (the stage's first instructions).
type BaseImage struct {
	Env        []string
	WorkingDir string
	OnBuild    []string
}

// DockerfileInput is what a Dockerfile is judged with besides its text.
type DockerfileInput struct {
	// Args are the request's build args.
	Args map[string]string
	// Base resolves an image a FROM names, after expansion; its error
	// refuses the build as it is. Without it the bases are unknown: their
	// environment may set any variable the Dockerfile does not, so a word
	// that needs one is refused, and their ONBUILD triggers are not seen
	// (the builder always sets it).
	Base func(ref string) (BaseImage, error)
	// BuildKit judges the Dockerfile as BuildKit's dockerfile frontend
	// (the version in go.mod) reads it, for a build on BuildKit; false is
	// Docker 20.10's classic builder. See build_buildkit.go.
	BuildKit bool
	// Platform is the build's only platform on BuildKit ("linux/amd64";
	// empty: the runner's own). No emulation: a stage naming another
	// platform is refused.
	Platform string
	// Target is the stage built (BuildKit's TARGETSTAGE; empty: the last).
	Target string
	// Secrets are the ids of the secrets the build provides: a required
	// secret mount of another id is refused.
	Secrets []string
}

// value is a word as the builder will see it. known is false when it
// depends on a base image the policy could not see.
type value struct {
	s     string
	known bool
}

// builtinArgs are the build args the classic builder accepts without an
// ARG instruction (BuildArgs' builtinAllowedBuildArgs).
var builtinArgs = map[string]bool{
	"HTTP_PROXY": true, "http_proxy": true, "HTTPS_PROXY": true, "https_proxy": true,
	"FTP_PROXY": true, "ftp_proxy": true, "NO_PROXY": true, "no_proxy": true,
	"ALL_PROXY": true, "all_proxy": true,
}

// stage is the builder's state within one stage: the image config it is
// building (ENV, working directory, ONBUILD) and the ARGs declared in it.
type stage struct {
	name    string
	env     map[string]value
	open    bool // the base image's environment is unknown
	workdir value
	args    map[string]*value // declared ARGs and their defaults (nil: none)
	onbuild []string
}

func (s *stage) clone() *stage {
	c := *s
	c.env = maps.Clone(s.env)
	c.args = maps.Clone(s.args)
	c.onbuild = append([]string(nil), s.onbuild...)
	return &c
}

// dockerfileCheck evaluates a Dockerfile the way Docker 20.10's classic
// builder dispatches it: the same parser and shell lexer (with the file's
// escape token), and each instruction's words expanded with the
// environment as it stands at that instruction.
type dockerfileCheck struct {
	admin  bool
	lex    *shell.Lex
	args   map[string]string // the request's build args
	meta   map[string]*value // meta ARGs (before the first FROM)
	base   func(string) (BaseImage, error)
	stages []*stage // finished stages, in order
	images []string
	seen   map[string]bool
	// expanded counts the bytes of expanded words, against maxExpandedTotal.
	expanded int
	// baseErr is the first base image that could not be resolved: the
	// Dockerfile is judged on as if that image's config were unknown, so
	// a rule it breaks is named, and baseErr refuses it otherwise.
	baseErr error
	// bk is BuildKit mode's state (nil: the classic builder).
	bk *bkCheck
}

// CheckDockerfileWith parses a Dockerfile as the engine will and refuses
// what would reach outside the build: a source the engine would fetch
// itself (ADD of a URL or git address, after expansion), COPY/ADD sources
// that are absolute or climb out of the context, a WORKDIR under /proc,
// platform labels, heredocs (which Docker 20.10 reads as instructions),
// RUN --network=host, --security=insecure, --device and --mount of
// secrets, ssh agents or host paths, and any word whose value the policy
// cannot know exactly. It returns the images the build reads, which the
// caller must be allowed to use. Admins are only parsed. That is Docker
// 20.10's classic builder; with in.BuildKit the Dockerfile is judged as
// BuildKit's frontend reads it instead (checkBuildKit), and refs may carry
// the text to build and the secrets it reads.
func CheckDockerfileWith(c identity.Caller, dockerfile []byte, in DockerfileInput) (refs DockerfileRefs, err error) {
	defer func() {
		// The instruction package keeps flag state behind type assertions;
		// a surprise there must refuse the build, not crash the runner.
		if r := recover(); r != nil {
			err = rule(apierr.CodeInvalid, RuleDockerfile, "the Dockerfile could not be read: %v", r)
		}
	}()
	if in.BuildKit {
		return checkBuildKit(c, dockerfile, in)
	}
	res, err := parser.Parse(bytes.NewReader(dockerfile))
	if err != nil {
		return refs, rule(apierr.CodeInvalid, RuleDockerfile, "the Dockerfile does not parse: %v", err)
	}
	if err := noHeredocs(res.AST); err != nil {
		return refs, err
	}
	if err := sameEscape(dockerfile, res.EscapeToken); err != nil {
		return refs, err
	}
	d, stages, metaArgs, err := newCheck(c, res, in)
	if err != nil {
		return refs, err
	}
	return d.judge(stages, metaArgs)
}

// newCheck reads the instructions of a parsed Dockerfile and the state
// to judge them with.
func newCheck(c identity.Caller, res *parser.Result, in DockerfileInput) (*dockerfileCheck, []instructions.Stage, []instructions.ArgCommand, error) {
	stages, metaArgs, err := instructions.Parse(res.AST, linter.New(&linter.Config{SkipAll: true}))
	if err != nil {
		return nil, nil, nil, rule(apierr.CodeInvalid, RuleDockerfile, "%v", err)
	}
	if len(stages) == 0 {
		return nil, nil, nil, rule(apierr.CodeInvalid, RuleDockerfile, "the Dockerfile has no FROM instruction")
	}
	d := &dockerfileCheck{admin: c.IsAdmin(), lex: shell.NewLex(res.EscapeToken), args: in.Args,
		meta: map[string]*value{}, base: in.Base, seen: map[string]bool{}}
	return d, stages, metaArgs, nil
}

// judge evaluates the meta ARGs and the stages in order.
func (d *dockerfileCheck) judge(stages []instructions.Stage, metaArgs []instructions.ArgCommand) (refs DockerfileRefs, err error) {
	for i := range metaArgs {
		if err := d.metaArg(&metaArgs[i]); err != nil {
			return refs, err
		}
	}
	for i := range stages {
		if err := d.stage(&stages[i]); err != nil {
			return refs, err
		}
		refs.Stages = append(refs.Stages, stages[i].Name)
	}
	refs.Images = d.images
	return refs, d.baseErr
}

// noHeredocs refuses heredocs: the classic builder of Docker 20.10 does
// not know them and would read their lines as instructions of their own,
// so the file it runs would not be the file judged here.
func noHeredocs(root *parser.Node) error {
	for _, n := range root.Children {
		if len(n.Heredocs) > 0 {
			return rule(apierr.CodeInvalid, RuleDockerfile, "line %d: heredocs (<<%s) are not supported by this platform's builder; put the file in the build context", n.StartLine, n.Heredocs[0].Name)
		}
	}
	return nil
}

// arg is the value the builder gives build arg key (BuildArgs.getBuildArg):
// the request's value, else the declared default, else the meta ARG's.
func (d *dockerfileCheck) arg(key string, def *value) (value, bool) {
	if v, ok := d.args[key]; ok {
		return value{v, true}, true
	}
	if def != nil {
		return *def, true
	}
	if m := d.meta[key]; m != nil {
		return *m, true
	}
	return value{}, false
}

// metaGet is the environment of FROM lines and meta ARGs: meta ARGs and
// the built-in proxy args only.
func (d *dockerfileCheck) metaGet(k string) (value, bool) {
	if def, ok := d.meta[k]; ok {
		return d.arg(k, def)
	}
	if builtinArgs[k] && d.bk == nil {
		return d.arg(k, nil)
	}
	return value{}, false
}

// stageGet is the environment of an instruction in s: the image's ENV
// first (an unknown base may set anything), then the ARGs declared in the
// stage and the built-in proxy args.
func (d *dockerfileCheck) stageGet(s *stage) func(string) (value, bool) {
	if d.bk != nil {
		// BuildKit: the image's ENV, with the stage's ARGs written into it.
		return func(k string) (value, bool) {
			if v, ok := s.env[k]; ok {
				return v, true
			}
			return value{}, s.open
		}
	}
	return func(k string) (value, bool) {
		if v, ok := s.env[k]; ok {
			return v, true
		}
		if s.open {
			return value{}, true
		}
		if def, ok := s.args[k]; ok {
			return d.arg(k, def)
		}
		if builtinArgs[k] {
			return d.arg(k, nil)
		}
		return value{}, false
	}
}

// lookup adapts an environment to the lexer, noting unknown values.
type lookup struct {
	get     func(string) (value, bool)
	unknown []string
}

func (l *lookup) Get(k string) (string, bool) {
	v, ok := l.get(k)
	if ok && !v.known {
		l.unknown = append(l.unknown, k)
	}
	return v.s, ok
}

func (l *lookup) Keys() []string { return nil }

// maxExpanded bounds a word once expanded (ENV A=$A$A doubles at each
// line, and the runner's memory must not); maxExpandedTotal bounds all of
// a Dockerfile's words together (many lines reading a long value).
const (
	maxExpanded      = 64 << 10
	maxExpandedTotal = 8 << 20
)

// expand runs the builder's lexer on w. A word the lexer refuses is
// refused; a word that needs an unknown variable comes back not known.
func (d *dockerfileCheck) expand(get func(string) (value, bool), w string) (value, error) {
	l := &lookup{get: get}
	out, _, err := d.lex.ProcessWord(w, l)
	if err != nil {
		return value{}, rule(apierr.CodeInvalid, RuleDockerfile, "%q cannot be expanded: %v", w, err)
	}
	if d.expanded += len(out); len(out) > maxExpanded || d.expanded > maxExpandedTotal {
		return value{}, rule(apierr.CodeInvalid, RuleDockerfile, "%.40q… expands to more than the platform reads (%d KB a word, %d MB in all)", w, maxExpanded>>10, maxExpandedTotal>>20)
	}
	return value{out, len(l.unknown) == 0}, nil
}

// exact expands w and refuses it unless its value is known.
func (d *dockerfileCheck) exact(get func(string) (value, bool), what, w string) (string, error) {
	v, err := d.expand(get, w)
	if err != nil {
		return "", err
	}
	if !v.known && d.baseErr != nil {
		return "", d.baseErr
	}
	if !v.known {
		return "", rule(apierr.CodeInvalid, RuleDockerfile, "%s %q uses a variable the base image may set, so its value is not known here; set it with ARG or ENV in the Dockerfile", what, w)
	}
	return v.s, nil
}

func (d *dockerfileCheck) addImage(ref string) {
	if !d.seen[ref] {
		d.seen[ref] = true
		d.images = append(d.images, ref)
	}
}

// metaArg is an ARG before the first FROM: expanded with the meta ARGs so
// far, visible to FROM lines and to stages that declare it again.
func (d *dockerfileCheck) metaArg(a *instructions.ArgCommand) error {
	if d.bk != nil {
		return d.bkMetaArg(a)
	}
	vals := make([]*value, len(a.Args))
	keys := make([]string, len(a.Args))
	for i, kv := range a.Args {
		k, err := d.exact(d.metaGet, "ARG", kv.Key)
		if err != nil {
			return err
		}
		keys[i] = k
		if kv.Value != nil {
			v, err := d.expand(d.metaGet, *kv.Value)
			if err != nil {
				return err
			}
			vals[i] = &v
		}
	}
	for i, k := range keys {
		d.meta[k] = vals[i]
	}
	return nil
}

// stageNamed is the earlier stage called name (FROM reads stages by name).
func (d *dockerfileCheck) stageNamed(name string) *stage {
	for i := len(d.stages) - 1; i >= 0; i-- {
		if s := d.stages[i]; s.name != "" && s.name == strings.ToLower(name) {
			return s
		}
	}
	return nil
}

// stage evaluates one stage: its base (an earlier stage, scratch or an
// image, whose ONBUILD triggers run first), then its instructions.
func (d *dockerfileCheck) stage(st *instructions.Stage) error {
	base, err := d.exact(d.metaGet, "FROM", st.BaseName)
	if err != nil {
		return err
	}
	if d.bk != nil {
		if err := d.platform(st); err != nil {
			return err
		}
	}
	s := &stage{name: strings.ToLower(st.Name), env: map[string]value{}, args: map[string]*value{}, workdir: value{"/", true}}
	var triggers []string
	switch prev := d.stageNamed(base); {
	case prev != nil:
		s.env, s.open, s.workdir, triggers = maps.Clone(prev.env), prev.open, prev.workdir, prev.onbuild
	case strings.EqualFold(base, "scratch"):
	default:
		d.addImage(base)
		switch {
		case d.base == nil:
			s.open, s.workdir = true, value{}
		default:
			img, err := d.base(base)
			if err != nil {
				if d.baseErr == nil {
					d.baseErr = err
				}
				s.open, s.workdir = true, value{}
				break
			}
			for _, kv := range img.Env {
				k, v, _ := strings.Cut(kv, "=")
				s.env[k] = value{v, true}
			}
			if img.WorkingDir != "" {
				s.workdir = value{img.WorkingDir, true}
			}
			triggers = img.OnBuild
		}
	}
	if s.workdir.known && procPath(s.workdir.s) {
		return rule(apierr.CodePolicy, RuleProcWorkdir, "FROM %s: its working directory %s is under /proc; start from an image that works elsewhere", base, s.workdir.s)
	}
	for _, t := range triggers {
		if err := d.trigger(s, t); err != nil {
			return err
		}
	}
	for _, cmd := range st.Commands {
		if err := d.command(s, cmd); err != nil {
			return err
		}
	}
	d.stages = append(d.stages, s)
	return nil
}

// trigger runs an ONBUILD trigger in s, as the builder does when a stage
// starts from an image that carries it: parsed alone (default escape),
// one instruction, then dispatched like any other.
func (d *dockerfileCheck) trigger(s *stage, t string) error {
	res, err := parser.Parse(strings.NewReader(t))
	if err != nil || len(res.AST.Children) != 1 {
		return rule(apierr.CodeInvalid, RuleDockerfile, "ONBUILD %q is not a single instruction", t)
	}
	if err := noHeredocs(res.AST); err != nil {
		return err
	}
	switch strings.ToUpper(res.AST.Children[0].Value) {
	case "ONBUILD", "FROM", "MAINTAINER":
		return rule(apierr.CodeInvalid, RuleDockerfile, "ONBUILD %q: not allowed as a trigger", t)
	}
	cmd, err := instructions.ParseCommand(res.AST.Children[0])
	if err != nil {
		return rule(apierr.CodeInvalid, RuleDockerfile, "ONBUILD %q: %v", t, err)
	}
	if d.bk != nil {
		d.bk.triggers++
		defer func() { d.bk.triggers-- }()
	}
	return d.command(s, cmd)
}
