package policy

import (
	"bytes"
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
)

// Build rules. A build runs on the Docker host, so the options that reach
// the host are judged like a container's: the network, privileges, and
// every path or URL the engine itself would read.
const (
	// RuleDockerfile refuses a Dockerfile that does not parse (the parser's
	// words, with the line).
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

// BuildNetworks are the networks RUN steps may use.
var buildNetworks = map[string]bool{"": true, "default": true, "none": true}

// AdmitBuild judges the options of an engine build for caller c: the
// network its RUN steps join, security options, cgroup, remote contexts
// and extra entitlements. It also bounds the build's resources (ApplyBuild
// must have run).
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
	n := strings.ToLower(o.NetworkMode)
	switch {
	case buildNetworks[n]:
	case n == "host":
		return rule(apierr.CodePolicy, RuleHostNS, "build network %q is not allowed: build steps get the engine's build network or none", o.NetworkMode)
	default:
		return rule(apierr.CodePolicy, RuleNetwork, "build network %q is not allowed: use default or none", o.NetworkMode)
	}
	switch {
	case len(o.SecurityOpt) > 0:
		return rule(apierr.CodePolicy, RuleSecurityOpt, "build security options are not allowed (%s)", strings.Join(o.SecurityOpt, ", "))
	case o.CgroupParent != "":
		return rule(apierr.CodePolicy, RuleCgroup, "build cgroup overrides are not allowed")
	case o.RemoteContext != "":
		return rule(apierr.CodePolicy, RuleRemoteSource, "remote build contexts are not allowed: upload the context")
	case o.Isolation != "" && o.Isolation != "default":
		return rule(apierr.CodePolicy, RuleRuntime, "build isolation %q is not allowed", o.Isolation)
	}
	return nil
}

// ApplyBuild bounds the resources of the build's RUN steps: the largest
// memory and CPU a container may have, no swap beyond it.
func (e *Engine) ApplyBuild(o *client.ImageBuildOptions) {
	o.Memory = e.Limits.MaxMemoryMB << 20
	o.MemorySwap = o.Memory
	const period = 100000
	o.CPUPeriod = period
	o.CPUQuota = int64(e.Limits.MaxCPUs * period)
}

// DockerfileRefs is what a Dockerfile reads besides its context: the images
// it starts from or copies from. The caller must be allowed to use each
// (another user's built image is theirs alone).
type DockerfileRefs struct {
	Images []string
	Stages []string // stage names, in order
}

// CheckDockerfile parses a Dockerfile as the engine will (the same parser)
// and refuses what would reach outside the build: COPY/ADD sources that are
// absolute or climb out of the context, ADD of URLs and git repositories,
// RUN --network=host, RUN --security=insecure, RUN --device, and RUN
// --mount of secrets, ssh agents or paths outside the context. args are
// the build args (they may name the base image). Admins are only parsed.
func CheckDockerfile(c identity.Caller, dockerfile []byte, args map[string]string) (refs DockerfileRefs, err error) {
	defer func() {
		// The instruction package keeps flag state behind type assertions;
		// a surprise there must refuse the build, not crash the runner.
		if r := recover(); r != nil {
			err = rule(apierr.CodeInvalid, RuleDockerfile, "the Dockerfile could not be read: %v", r)
		}
	}()
	res, err := parser.Parse(bytes.NewReader(dockerfile))
	if err != nil {
		return refs, rule(apierr.CodeInvalid, RuleDockerfile, "the Dockerfile does not parse: %v", err)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, linter.New(&linter.Config{SkipAll: true}))
	if err != nil {
		return refs, rule(apierr.CodeInvalid, RuleDockerfile, "%v", err)
	}
	if len(stages) == 0 {
		return refs, rule(apierr.CodeInvalid, RuleDockerfile, "the Dockerfile has no FROM instruction")
	}
	d := &dockerfileCheck{admin: c.IsAdmin(), lex: shell.NewLex(res.EscapeToken), env: map[string]string{}}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			if kv.Value != nil {
				d.env[kv.Key] = *kv.Value
			}
		}
	}
	for k, v := range args {
		d.env[k] = v
	}
	seenImage := map[string]bool{}
	addImage := func(s string) {
		if !seenImage[s] {
			seenImage[s] = true
			refs.Images = append(refs.Images, s)
		}
	}
	for i, st := range stages {
		base := d.expand(st.BaseName)
		if !d.isStage(base, i) && !strings.EqualFold(base, "scratch") {
			addImage(base)
		}
		for _, cmd := range st.Commands {
			from, err := d.command(cmd, i)
			if err != nil {
				return refs, err
			}
			if from != "" {
				addImage(from)
			}
		}
		d.stages = append(d.stages, strings.ToLower(st.Name))
		refs.Stages = append(refs.Stages, st.Name)
	}
	return refs, nil
}

type dockerfileCheck struct {
	admin  bool
	lex    *shell.Lex
	env    map[string]string
	stages []string // lower-cased names of the stages before the current one
}

type envMap map[string]string

func (m envMap) Get(k string) (string, bool) { v, ok := m[k]; return v, ok }
func (m envMap) Keys() []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// expand substitutes build args in s as the engine would; what cannot be
// expanded is judged as written.
func (d *dockerfileCheck) expand(s string) string {
	if !strings.ContainsAny(s, "$") {
		return s
	}
	out, _, err := d.lex.ProcessWord(s, envMap(d.env))
	if err != nil {
		return s
	}
	return out
}

// isStage reports whether name refers to an earlier stage (by name or index).
func (d *dockerfileCheck) isStage(name string, current int) bool {
	if n, err := strconv.Atoi(name); err == nil {
		return n >= 0 && n < current
	}
	for _, s := range d.stages {
		if s != "" && strings.EqualFold(s, name) {
			return true
		}
	}
	return false
}

// command checks one instruction and returns the image it copies from, if any.
func (d *dockerfileCheck) command(cmd instructions.Command, stage int) (string, error) {
	switch c := cmd.(type) {
	case *instructions.ArgCommand:
		for _, kv := range c.Args {
			if _, set := d.env[kv.Key]; !set && kv.Value != nil {
				d.env[kv.Key] = *kv.Value
			}
		}
	case *instructions.LabelCommand:
		// Platform labels on an image would flow into every container
		// made from it; only the platform sets them.
		for _, kv := range c.Labels {
			if strings.HasPrefix(strings.ToLower(d.expand(kv.Key)), LabelPrefix) {
				return "", rule(apierr.CodePolicy, RuleReservedLabel, "LABEL %s uses the reserved prefix %q", kv.Key, LabelPrefix)
			}
		}
	case *instructions.CopyCommand:
		from := d.expand(c.From)
		if from != "" {
			if d.isStage(from, stage) {
				return "", nil
			}
			return from, nil
		}
		return "", d.sources("COPY", c.SourcePaths, false)
	case *instructions.AddCommand:
		return "", d.sources("ADD", c.SourcePaths, true)
	case *instructions.RunCommand:
		return d.run(c, stage)
	case *instructions.OnbuildCommand:
		// The trigger runs in builds FROM this image: judge it now, as it
		// would be judged then.
		res, err := parser.Parse(strings.NewReader(c.Expression))
		if err != nil || len(res.AST.Children) == 0 {
			return "", rule(apierr.CodeInvalid, RuleDockerfile, "ONBUILD %q does not parse", c.Expression)
		}
		inner, err := instructions.ParseCommand(res.AST.Children[0])
		if err != nil {
			return "", rule(apierr.CodeInvalid, RuleDockerfile, "ONBUILD %q: %v", c.Expression, err)
		}
		return d.command(inner, stage)
	}
	return "", nil
}

func (d *dockerfileCheck) run(c *instructions.RunCommand, stage int) (string, error) {
	if d.admin {
		return "", nil
	}
	switch instructions.GetNetwork(c) {
	case instructions.NetworkHost:
		return "", rule(apierr.CodePolicy, RuleHostNS, "RUN --network=host is not allowed (line %d)", line(c))
	}
	if instructions.GetSecurity(c) == instructions.SecurityInsecure {
		return "", rule(apierr.CodePolicy, RuleEntitlement, "RUN --security=insecure is not allowed (line %d)", line(c))
	}
	if len(instructions.GetDevices(c)) > 0 {
		return "", rule(apierr.CodePolicy, RuleDevices, "RUN --device is not allowed (line %d)", line(c))
	}
	// Mount flags are parsed only when expanded, as the builder does.
	if err := c.Expand(func(w string) (string, error) { return d.expand(w), nil }); err != nil {
		return "", rule(apierr.CodeInvalid, RuleDockerfile, "RUN --mount (line %d): %v", line(c), err)
	}
	var image string
	for _, m := range instructions.GetMounts(c) {
		switch m.Type {
		case instructions.MountTypeSecret, instructions.MountTypeSSH:
			return "", rule(apierr.CodePolicy, RulePath, "RUN --mount=type=%s reads secrets of the machine running the build; it is not allowed (line %d)", m.Type, line(c))
		case instructions.MountTypeBind, instructions.MountTypeCache:
			from := d.expand(m.From)
			if from != "" && !d.isStage(from, stage) {
				image = from
			}
			if from == "" && m.Type == instructions.MountTypeBind {
				if err := d.path("RUN --mount", d.expand(m.Source), c); err != nil {
					return "", err
				}
			}
		}
	}
	return image, nil
}

// sources checks COPY/ADD sources: paths inside the context only, and no
// URL or git repository (ADD), which the engine would fetch itself.
func (d *dockerfileCheck) sources(instr string, srcs []string, remoteForms bool) error {
	if d.admin {
		return nil
	}
	for _, raw := range srcs {
		s := d.expand(raw)
		if remoteForms && isRemote(s) {
			return rule(apierr.CodePolicy, RuleRemoteSource, "ADD %s: the engine would fetch it from the Docker host's network; download it in a RUN step instead", s)
		}
		if mentionsDockerSocket(s) {
			return rule(apierr.CodePolicy, RuleDockerSock, "%s %s: the Docker socket may not be copied", instr, s)
		}
		if err := d.path(instr, s, nil); err != nil {
			return err
		}
	}
	return nil
}

// path refuses a source that names a host path: absolute, or climbing out
// of the context with "..".
func (d *dockerfileCheck) path(instr, s string, c *instructions.RunCommand) error {
	where := ""
	if c != nil {
		where = fmt.Sprintf(" (line %d)", line(c))
	}
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, `\`) {
		return rule(apierr.CodePolicy, RulePath, "%s %s%s: sources are paths inside the build context, not host paths", instr, s, where)
	}
	if c := path.Clean(s); c == ".." || strings.HasPrefix(c, "../") {
		return rule(apierr.CodePolicy, RulePath, "%s %s%s: the source is outside the build context", instr, s, where)
	}
	return nil
}

func line(c *instructions.RunCommand) int {
	if loc := c.Location(); len(loc) > 0 {
		return loc[0].Start.Line
	}
	return 0
}

// isRemote reports whether an ADD source is fetched by the engine: a URL
// or a git repository.
func isRemote(s string) bool {
	if strings.HasPrefix(s, "git@") {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && u.Host != ""
}
