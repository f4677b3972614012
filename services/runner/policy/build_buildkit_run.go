package policy

import (
	"fmt"
	"path"
	"slices"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/dockeronline/platform/pkg/apierr"
)

// bkRun judges RUN on BuildKit: its network, security and devices, then
// each mount as the frontend reads it.
func (d *dockerfileCheck) bkRun(s *stage, c *instructions.RunCommand) error {
	where := fmt.Sprintf(" (line %d)", line(c))
	if !d.admin {
		if instructions.GetNetwork(c) == instructions.NetworkHost {
			return rule(apierr.CodePolicy, RuleHostNS, "RUN --network=host is not allowed%s", where)
		}
		if instructions.GetSecurity(c) == instructions.SecurityInsecure {
			return rule(apierr.CodePolicy, RuleEntitlement, "RUN --security=insecure is not allowed%s", where)
		}
		if len(instructions.GetDevices(c)) > 0 {
			return rule(apierr.CodePolicy, RuleDevices, "RUN --device is not allowed%s", where)
		}
	}
	// The frontend picks a mount's source stage or image from= as written
	// (before expansion), and expands the rest in the stage's environment.
	raw := slices.Clone(instructions.GetMounts(c))
	get := d.stageGet(s)
	if err := c.Expand(func(w string) (string, error) { return d.exact(get, "RUN --mount", w) }); err != nil {
		return rule(apierr.CodeInvalid, RuleDockerfile, "RUN --mount%s: %v", where, err)
	}
	mounts := instructions.GetMounts(c)
	if len(raw) != len(mounts) {
		return rule(apierr.CodeInvalid, RuleDockerfile, "RUN --mount%s could not be read", where)
	}
	cache := false
	for i, m := range mounts {
		if m.From != raw[i].From {
			return rule(apierr.CodeInvalid, RuleDockerfile, "RUN --mount from=%s%s: from= is read as written (no quotes or escapes); name the stage or image", raw[i].From, where)
		}
		if err := d.bkSource("RUN --mount from="+m.From, m.From); err != nil {
			return err
		}
		switch m.Type {
		case instructions.MountTypeSSH:
			if !d.admin {
				return rule(apierr.CodePolicy, RulePath, "RUN --mount=type=ssh would use the ssh agent of the machine running the build; it is not allowed%s", where)
			}
		case instructions.MountTypeSecret:
			d.bk.secret(m)
		case instructions.MountTypeBind:
			if m.From == "" && !d.admin {
				if err := contextPath("RUN --mount", m.Source, where); err != nil {
					return err
				}
			}
		case instructions.MountTypeCache:
			cache = true
		}
	}
	if !cache {
		return nil
	}
	return d.bk.scopeCache(c, mounts, where)
}

// secret notes a secret mount's id as the frontend names it: source or id,
// else the target's base name.
func (bk *bkCheck) secret(m *instructions.Mount) {
	id := m.CacheID
	if m.Source != "" {
		id = m.Source
	}
	if id == "" {
		id = path.Base(m.Target)
	}
	if !slices.Contains(bk.secrets, id) {
		bk.secrets = append(bk.secrets, id)
	}
	if m.Required {
		bk.required[id] = true
	}
}
