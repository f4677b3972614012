package policy

import (
	"net/url"
	"path"
	"regexp"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/dfgitutil"
)

// reSCP is an scp-like address, "user@host:path", which BuildKit's ADD
// clones over ssh whatever the user's name: any "@" then ":" before the
// first "/" (broader than BuildKit's own pattern, on purpose).
var reSCP = regexp.MustCompile(`^[^/]*@[^/]*:`)

// isRemote reports whether an ADD source (as the builder expands it) names
// something fetched rather than read from the context: a URL of any scheme
// (the classic builder downloads http(s)://, BuildKit also git), an scp-like
// git address, or a bare git host path. It errs on the side of "remote": a
// context file whose name looks like a URL can be renamed.
func isRemote(s string) bool {
	l := strings.ToLower(strings.TrimSpace(s))
	if strings.Contains(l, "://") || strings.HasPrefix(l, "git@") || strings.HasPrefix(l, "github.com/") || reSCP.MatchString(l) {
		return true
	}
	// What BuildKit's frontend itself takes for a git address.
	if _, isGit, _ := dfgitutil.ParseGitRef(strings.TrimSpace(s)); isGit {
		return true
	}
	u, err := url.Parse(l)
	return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "" && strings.Contains(u.Opaque, "@"))
}

// procPath reports whether the working directory p, cleaned as the builder
// and runc clean it, is /proc or under it.
func procPath(p string) bool {
	c := path.Clean("/" + p)
	return c == "/proc" || strings.HasPrefix(c, "/proc/")
}

// resolveWorkdir is the builder's WORKDIR: an absolute path cleaned, a
// relative one joined to the current working directory.
func resolveWorkdir(current, requested string) string {
	if path.IsAbs(requested) {
		return path.Clean(requested)
	}
	return path.Join("/", current, requested)
}

// unquoted is w without quotes and escape characters: the letters any
// reading of w keeps.
func unquoted(w string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '"', '\'', '\\', '`':
			return -1
		}
		return r
	}, w)
}
