package policy

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/dockeronline/platform/pkg/apierr"
)

// cacheID is a cache mount's id as the frontend keys it.
func cacheID(m *instructions.Mount) string {
	if m.CacheID != "" {
		return m.CacheID
	}
	return path.Clean(m.Target)
}

// scopeCache puts a RUN's cache mounts in the user's namespace: verified
// on the second reading, rewritten on the first.
func (bk *bkCheck) scopeCache(c *instructions.RunCommand, mounts []*instructions.Mount, where string) error {
	if bk.prefix == "" {
		return rule(apierr.CodePolicy, RuleDockerfile, "RUN --mount=type=cache%s: cache mounts need a user to scope them to", where)
	}
	if bk.triggers > 0 {
		return rule(apierr.CodePolicy, RuleDockerfile, "ONBUILD RUN --mount=type=cache%s: a trigger's cache cannot be scoped to its user; use the cache mount in the Dockerfile that builds FROM the image", where)
	}
	if bk.verify {
		for _, m := range mounts {
			if m.Type == instructions.MountTypeCache && !strings.HasPrefix(cacheID(m), bk.prefix) {
				return rule(apierr.CodePolicy, RuleDockerfile, "RUN --mount=type=cache,id=%s%s is not in your cache namespace", cacheID(m), where)
			}
		}
		return nil
	}
	n := bk.runs[line(c)]
	if n == nil {
		return rule(apierr.CodeInvalid, RuleDockerfile, "RUN --mount=type=cache%s could not be scoped to your builds", where)
	}
	var flags []string
	i := 0
	for _, f := range n.Flags {
		if !strings.HasPrefix(f, "--mount=") {
			flags = append(flags, f)
			continue
		}
		if i >= len(mounts) {
			return rule(apierr.CodeInvalid, RuleDockerfile, "RUN --mount%s could not be read", where)
		}
		m := mounts[i]
		i++
		if m.Type != instructions.MountTypeCache {
			flags = append(flags, f)
			continue
		}
		f, err := bk.cacheFlag(m, where)
		if err != nil {
			return err
		}
		flags = append(flags, f)
	}
	if i != len(mounts) {
		return rule(apierr.CodeInvalid, RuleDockerfile, "RUN --mount%s could not be read", where)
	}
	bk.rewrites[n.StartLine] = flags
	return nil
}

// literal is what a rewritten mount option may hold: characters that CSV,
// the flag reader and the shell lexer all take as themselves.
var literal = regexp.MustCompile(`^[A-Za-z0-9._/+:@%~-]*$`)

// cacheFlag writes cache mount m back with the values the frontend would
// read, literally, its id in the user's namespace.
func (bk *bkCheck) cacheFlag(m *instructions.Mount, where string) (string, error) {
	fields := [][2]string{{"type", "cache"}, {"id", bk.prefix + cacheID(m)}, {"target", m.Target}}
	if m.From != "" {
		fields = append(fields, [2]string{"from", m.From})
	}
	if m.Source != "" {
		fields = append(fields, [2]string{"source", m.Source})
	}
	if m.CacheSharing != "" {
		fields = append(fields, [2]string{"sharing", string(m.CacheSharing)})
	}
	if m.ReadOnly {
		fields = append(fields, [2]string{"readonly", "true"})
	}
	if m.Mode != nil {
		fields = append(fields, [2]string{"mode", fmt.Sprintf("%o", *m.Mode)})
	}
	if m.UID != nil {
		fields = append(fields, [2]string{"uid", fmt.Sprint(*m.UID)})
	}
	if m.GID != nil {
		fields = append(fields, [2]string{"gid", fmt.Sprint(*m.GID)})
	}
	parts := make([]string, 0, len(fields))
	for _, f := range fields {
		if !literal.MatchString(f[1]) {
			return "", rule(apierr.CodeInvalid, RuleDockerfile, "RUN --mount=type=cache,%s=%q%s: cache mount options may hold letters, digits and . _ / + : @ %% ~ - only", f[0], f[1], where)
		}
		if f[1] != "" {
			parts = append(parts, f[0]+"="+f[1])
		}
	}
	return "--mount=" + strings.Join(parts, ","), nil
}
