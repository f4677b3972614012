package policy

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/dockeronline/platform/pkg/apierr"
)

// command evaluates one instruction in stage s: it judges the words the
// builder will use and applies what the instruction changes (ENV, ARG,
// WORKDIR, ONBUILD) to the stage.
func (d *dockerfileCheck) command(s *stage, cmd instructions.Command) error {
	get := d.stageGet(s)
	switch c := cmd.(type) {
	case *instructions.ArgCommand:
		if d.bk != nil {
			return d.bkArgCmd(s, c)
		}
		return d.argCmd(s, c)
	case *instructions.EnvCommand:
		// All pairs are expanded with the environment before the line.
		vals := make([]value, len(c.Env))
		keys := make([]string, len(c.Env))
		for i, kv := range c.Env {
			k, err := d.exact(get, "ENV", kv.Key)
			if err != nil {
				return err
			}
			if vals[i], err = d.expand(get, kv.Value); err != nil {
				return err
			}
			keys[i] = k
		}
		for i, k := range keys {
			s.env[k] = vals[i]
		}
	case *instructions.LabelCommand:
		// Platform labels on an image would flow into every container
		// made from it; only the platform sets them.
		for _, kv := range c.Labels {
			k, err := d.exact(get, "LABEL", kv.Key)
			if err != nil {
				return err
			}
			if _, err := d.expand(get, kv.Value); err != nil {
				return err
			}
			if strings.HasPrefix(strings.ToLower(k), LabelPrefix) {
				return rule(apierr.CodePolicy, RuleReservedLabel, "LABEL %s uses the reserved prefix %q", k, LabelPrefix)
			}
		}
	case *instructions.WorkdirCommand:
		return d.workdir(s, c)
	case *instructions.AddCommand:
		if (c.Checksum != "" || c.KeepGitDir != nil) && !d.admin {
			return rule(apierr.CodePolicy, RuleRemoteSource, "ADD --checksum/--keep-git-dir name a download; fetch it in a RUN step on your own network instead")
		}
		return d.sources(s, "ADD", &c.SourcesAndDest, []string{c.Chown, c.Chmod}, true)
	case *instructions.CopyCommand:
		if c.From != "" && d.bk != nil {
			if err := d.bkFrom(c.From); err != nil {
				return err
			}
			return d.sources(s, "COPY", &c.SourcesAndDest, []string{c.Chown, c.Chmod}, false)
		}
		if c.From != "" {
			// The classic builder reads --from as written.
			if strings.ContainsAny(c.From, "$") {
				return rule(apierr.CodeInvalid, RuleDockerfile, "COPY --from=%s: Docker 20.10's builder does not expand variables in --from; name the stage or image", c.From)
			}
			if !d.isStage(c.From) {
				d.addImage(c.From)
			}
			// Sources are paths in the stage or image, not the context.
			return d.sources(s, "COPY", &c.SourcesAndDest, []string{c.Chown, c.Chmod}, false)
		}
		return d.sources(s, "COPY", &c.SourcesAndDest, []string{c.Chown, c.Chmod}, true)
	case *instructions.RunCommand:
		return d.run(s, c)
	case *instructions.OnbuildCommand:
		// The trigger runs in stages and builds FROM this image, where it
		// is judged in their environment; judge it here too, as if it ran
		// now, so a plain attack is refused where it is written.
		if err := d.trigger(s.clone(), c.Expression); err != nil {
			return err
		}
		s.onbuild = append(s.onbuild, c.Expression)
	}
	return nil
}

// argCmd declares ARGs in s. The builder expands every pair first, then
// declares them; a declared ARG takes the request's value if there is one.
func (d *dockerfileCheck) argCmd(s *stage, c *instructions.ArgCommand) error {
	get := d.stageGet(s)
	keys := make([]string, len(c.Args))
	vals := make([]*value, len(c.Args))
	for i, kv := range c.Args {
		k, err := d.exact(get, "ARG", kv.Key)
		if err != nil {
			return err
		}
		keys[i] = k
		if kv.Value != nil {
			v, err := d.expand(get, *kv.Value)
			if err != nil {
				return err
			}
			vals[i] = &v
		}
	}
	for i, k := range keys {
		s.args[k] = vals[i]
	}
	return nil
}

// workdir applies WORKDIR to s: cleaned, relative to the current one, and
// never under /proc.
func (d *dockerfileCheck) workdir(s *stage, c *instructions.WorkdirCommand) error {
	p, err := d.exact(d.stageGet(s), "WORKDIR", c.Path)
	if err != nil {
		return err
	}
	if p == "" {
		return rule(apierr.CodeInvalid, RuleDockerfile, "WORKDIR %q is empty once expanded", c.Path)
	}
	if !path.IsAbs(p) && !s.workdir.known && d.baseErr != nil {
		return d.baseErr
	}
	if !path.IsAbs(p) && !s.workdir.known {
		return rule(apierr.CodeInvalid, RuleDockerfile, "WORKDIR %s is relative to the base image's working directory, which is not known here; use an absolute path", p)
	}
	w := resolveWorkdir(s.workdir.s, p)
	if procPath(w) { // admins too: nothing needs it, and it reaches the host
		return rule(apierr.CodePolicy, RuleProcWorkdir, "WORKDIR %s resolves to %s, under /proc; use a directory of the image", c.Path, w)
	}
	s.workdir = value{w, true}
	return nil
}

// isStage reports whether name is an earlier stage for COPY --from and
// RUN --mount from= (by name or index, as the builder reads them).
func (d *dockerfileCheck) isStage(name string) bool {
	if n, err := strconv.Atoi(name); err == nil {
		return n >= 0 && n < len(d.stages)
	}
	return d.stageNamed(name) != nil
}

// sources judges COPY/ADD words as the builder expands them: no source the
// engine would fetch (ADD), none outside the context (context sources).
func (d *dockerfileCheck) sources(s *stage, instr string, sd *instructions.SourcesAndDest, flags []string, context bool) error {
	get := d.stageGet(s)
	for _, w := range append([]string{sd.DestPath}, flags...) {
		if _, err := d.expand(get, w); err != nil {
			return err
		}
	}
	if len(sd.SourceContents) > 0 && d.bk == nil {
		return rule(apierr.CodeInvalid, RuleDockerfile, "%s: heredocs are not supported by this platform's builder", instr)
	}
	for _, raw := range sd.SourcePaths {
		src, err := d.exact(get, instr+" source", raw)
		if err != nil {
			return err
		}
		if d.admin {
			continue
		}
		// The raw word too, quotes and escapes dropped: should a lexer of
		// another engine version read it otherwise, a URL stays a URL.
		if instr == "ADD" && !isRemote(src) && isRemote(unquoted(raw)) {
			src = raw
		}
		if instr == "ADD" && isRemote(src) {
			return rule(apierr.CodePolicy, RuleRemoteSource, "ADD %s: the engine would fetch it from the Docker host's own network; download it in a RUN step (on your network) instead", src)
		}
		if !context {
			continue
		}
		if mentionsDockerSocket(src) {
			return rule(apierr.CodePolicy, RuleDockerSock, "%s %s: the Docker socket may not be copied", instr, src)
		}
		if err := contextPath(instr, src, ""); err != nil {
			return err
		}
	}
	return nil
}

func (d *dockerfileCheck) run(s *stage, c *instructions.RunCommand) error {
	if d.bk != nil {
		return d.bkRun(s, c)
	}
	if d.admin {
		return nil
	}
	where := fmt.Sprintf(" (line %d)", line(c))
	switch instructions.GetNetwork(c) {
	case instructions.NetworkHost:
		return rule(apierr.CodePolicy, RuleHostNS, "RUN --network=host is not allowed%s", where)
	}
	if instructions.GetSecurity(c) == instructions.SecurityInsecure {
		return rule(apierr.CodePolicy, RuleEntitlement, "RUN --security=insecure is not allowed%s", where)
	}
	if len(instructions.GetDevices(c)) > 0 {
		return rule(apierr.CodePolicy, RuleDevices, "RUN --device is not allowed%s", where)
	}
	// Mount flags are parsed only when expanded, as the builder does.
	get := d.stageGet(s)
	if err := c.Expand(func(w string) (string, error) { return d.exact(get, "RUN --mount", w) }); err != nil {
		return rule(apierr.CodeInvalid, RuleDockerfile, "RUN --mount%s: %v", where, err)
	}
	for _, m := range instructions.GetMounts(c) {
		switch m.Type {
		case instructions.MountTypeSecret, instructions.MountTypeSSH:
			return rule(apierr.CodePolicy, RulePath, "RUN --mount=type=%s reads secrets of the machine running the build; it is not allowed%s", m.Type, where)
		case instructions.MountTypeBind, instructions.MountTypeCache:
			if m.From != "" && !d.isStage(m.From) {
				d.addImage(m.From)
			}
			if m.From == "" && m.Type == instructions.MountTypeBind {
				if err := contextPath("RUN --mount", m.Source, where); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// contextPath refuses a source that names a host path: absolute, or
// climbing out of the context with "..".
func contextPath(instr, s, where string) error {
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
