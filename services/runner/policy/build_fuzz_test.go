package policy_test

import (
	"bytes"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/dockeronline/platform/services/runner/policy"
)

// FuzzDockerfilePolicy feeds generated Dockerfiles (and a build arg) to the
// build policy. For every one it accepts, an independent reading — BuildKit's
// parser and instructions, each instruction expanded by its own Expand with
// the environment accumulated the way the classic builder dispatches
// (image ENV, then allowed build args) — must find no ADD source the engine
// would fetch, no WORKDIR under /proc, and no image outside refs.Images.
func FuzzDockerfilePolicy(f *testing.F) {
	for _, c := range expansionCases {
		k, v := "", ""
		for k, v = range c.args {
		}
		f.Add(c.dockerfile, k, v)
	}
	f.Add("ARG B=busybox\nFROM $B AS a\nENV U=x\nFROM a\nADD ${U:-y} /z\n", "U", "http://127.0.0.1/")
	f.Add("FROM alice/onbuild-u\nARG U\nADD ${U}x /y\n", "U", "http://127.0.0.1/")
	f.Add("# escape=`\nFROM busybox\nENV A=ht`\n B=tp\nADD ${A}${B}://h/ /x\n", "", "")
	f.Fuzz(func(t *testing.T, df, argKey, argVal string) {
		if len(df) > 4<<10 || len(argVal) > 256 {
			return
		}
		args := map[string]string{}
		if argKey != "" {
			args[argKey] = argVal
		}
		refs, err := policy.CheckDockerfileWith(builder, []byte(df), policy.DockerfileInput{Args: args, Base: bases})
		if err != nil {
			return
		}
		o := &oracle{t: t, args: args, refs: refs}
		o.read([]byte(df))
	})
}

// oracle is a plain reading of the classic builder's dispatch.
type oracle struct {
	t      *testing.T
	args   map[string]string
	refs   policy.DockerfileRefs
	lex    *shell.Lex
	meta   map[string]*string
	stages map[string]oracleStage
	n      int
}

type oracleStage struct {
	env     []string
	workdir string
	onbuild []string
}

var proxyArgs = []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"}

func (o *oracle) read(df []byte) {
	res, err := parser.Parse(bytes.NewReader(df))
	if err != nil {
		o.t.Fatalf("accepted a Dockerfile that does not parse: %v", err)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, linter.New(&linter.Config{SkipAll: true}))
	if err != nil {
		o.t.Fatalf("accepted a Dockerfile whose instructions do not parse: %v", err)
	}
	o.lex, o.meta, o.stages = shell.NewLex(res.EscapeToken), map[string]*string{}, map[string]oracleStage{}
	for _, m := range metaArgs {
		if err := m.Expand(o.expander(o.metaEnv())); err != nil {
			return // the builder stops here
		}
		for _, kv := range m.Args {
			o.meta[kv.Key] = kv.Value
		}
	}
	for _, st := range stages {
		if !o.stage(st) {
			return
		}
		o.n++
	}
}

// value is BuildArgs.getBuildArg: the request's, else the default, else
// the meta ARG's.
func (o *oracle) value(k string, def *string) (string, bool) {
	if v, ok := o.args[k]; ok {
		return v, true
	}
	if def != nil {
		return *def, true
	}
	if m := o.meta[k]; m != nil {
		return *m, true
	}
	return "", false
}

func (o *oracle) metaEnv() []string {
	var env []string
	for k, def := range o.meta {
		if v, ok := o.value(k, def); ok {
			env = append(env, k+"="+v)
		}
	}
	for _, k := range proxyArgs {
		if _, declared := o.meta[k]; !declared {
			if v, ok := o.value(k, nil); ok {
				env = append(env, k+"="+v)
			}
		}
	}
	return env
}

func (o *oracle) expander(env []string) instructions.SingleWordExpander {
	return func(w string) (string, error) {
		s, _, err := o.lex.ProcessWord(w, shell.EnvsFromSlice(env))
		return s, err
	}
}

func (o *oracle) image(ref string) {
	if !slices.Contains(o.refs.Images, ref) {
		o.t.Fatalf("image %q is read but not in refs %v", ref, o.refs.Images)
	}
}

func (o *oracle) stage(st instructions.Stage) bool {
	base, _, err := o.lex.ProcessWord(st.BaseName, shell.EnvsFromSlice(o.metaEnv()))
	if err != nil {
		return false
	}
	cur := oracleStage{workdir: "/"}
	var triggers []string
	if prev, ok := o.stages[strings.ToLower(base)]; ok {
		cur = prev
		cur.env = slices.Clone(prev.env)
		triggers, cur.onbuild = prev.onbuild, nil
	} else if !strings.EqualFold(base, "scratch") {
		o.image(base)
		img, err := bases(base)
		if err != nil {
			o.t.Fatalf("accepted FROM %s, which the resolver refuses", base)
		}
		cur.env = slices.Clone(img.Env)
		if img.WorkingDir != "" {
			cur.workdir = img.WorkingDir
		}
		triggers = img.OnBuild
	}
	o.noProc(cur.workdir)
	declared := map[string]*string{}
	for _, tr := range triggers {
		r, err := parser.Parse(strings.NewReader(tr))
		if err != nil || len(r.AST.Children) != 1 {
			return false
		}
		cmd, err := instructions.ParseCommand(r.AST.Children[0])
		if err != nil || !o.dispatch(&cur, declared, cmd) {
			return false
		}
	}
	for _, cmd := range st.Commands {
		if !o.dispatch(&cur, declared, cmd) {
			return false
		}
	}
	if st.Name != "" {
		o.stages[strings.ToLower(st.Name)] = cur
	}
	return true
}

func (o *oracle) noProc(dir string) {
	if c := path.Clean("/" + dir); c == "/proc" || strings.HasPrefix(c, "/proc/") {
		o.t.Fatalf("accepted a working directory under /proc: %s", dir)
	}
}

// dispatch is the classic builder's: expand with the image's ENV and the
// allowed build args not shadowed by it, then apply.
func (o *oracle) dispatch(cur *oracleStage, declared map[string]*string, cmd instructions.Command) bool {
	env := slices.Clone(cur.env)
	inEnv := map[string]bool{}
	for _, kv := range cur.env {
		k, _, _ := strings.Cut(kv, "=")
		inEnv[k] = true
	}
	for k, def := range declared {
		if v, ok := o.value(k, def); ok && !inEnv[k] {
			env = append(env, k+"="+v)
		}
	}
	for _, k := range proxyArgs {
		if _, ok := declared[k]; !ok && !inEnv[k] {
			if v, ok := o.value(k, nil); ok {
				env = append(env, k+"="+v)
			}
		}
	}
	if ex, ok := cmd.(instructions.SupportsSingleWordExpansion); ok {
		if _, isRun := cmd.(*instructions.RunCommand); !isRun {
			if err := ex.Expand(o.expander(env)); err != nil {
				return false
			}
		}
	}
	switch c := cmd.(type) {
	case *instructions.AddCommand:
		for _, s := range c.SourcePaths {
			l := strings.ToLower(s)
			if strings.Contains(l, "://") || strings.HasPrefix(l, "git@") {
				o.t.Fatalf("accepted ADD of a remote source %q", s)
			}
		}
	case *instructions.CopyCommand:
		if c.From != "" {
			if _, stage := o.stages[strings.ToLower(c.From)]; !stage {
				if n, err := strconv.Atoi(c.From); err != nil || n < 0 || n >= o.n {
					o.image(c.From)
				}
			}
		}
	case *instructions.EnvCommand:
		for _, kv := range c.Env {
			cur.env = slices.DeleteFunc(cur.env, func(e string) bool { return strings.HasPrefix(e, kv.Key+"=") })
			cur.env = append(cur.env, kv.Key+"="+kv.Value)
		}
	case *instructions.ArgCommand:
		for _, kv := range c.Args {
			declared[kv.Key] = kv.Value
		}
	case *instructions.WorkdirCommand:
		if path.IsAbs(c.Path) {
			cur.workdir = path.Clean(c.Path)
		} else {
			cur.workdir = path.Join("/", cur.workdir, c.Path)
		}
		o.noProc(cur.workdir)
	case *instructions.OnbuildCommand:
		cur.onbuild = append(cur.onbuild, c.Expression)
	}
	return true
}
