package stack

import (
	"archive/tar"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/services/runner/build"
	"github.com/dockeronline/platform/services/runner/policy"
)

// ComposeFile is the name the stack's compose file gets in its project
// directory (replacing a file of that name in the upload).
const ComposeFile = "compose.yaml"

// projectDir is a stack's project directory: the upload unpacked in a
// fresh temporary directory, plus the compose file. Compose reads from it
// (extends: files) and the builder builds from it, so nothing in it may
// lead outside: entries are written through an os.Root, links may only
// point down (relative, without ".."), and no entry is written through a
// link. With that, every path inside resolves inside.
type projectDir struct {
	path    string
	archive *build.Archive
}

// newProjectDir unpacks a (possibly empty) upload and writes the compose
// file; remove deletes it all.
func newProjectDir(base string, a *build.Archive, compose []byte) (*projectDir, error) {
	dir, err := os.MkdirTemp(base, "stack-")
	if err != nil {
		return nil, apierr.New(apierr.CodeUnavailable, "could not make the project directory: %v", err)
	}
	// The real path, so every lexical check compares like with like.
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	p := &projectDir{path: dir, archive: a}
	if err := p.unpack(compose); err != nil {
		p.remove()
		return nil, err
	}
	return p, nil
}

func (p *projectDir) remove() { _ = os.RemoveAll(p.path) }

func (p *projectDir) unpack(compose []byte) error {
	root, err := os.OpenRoot(p.path)
	if err != nil {
		return apierr.New(apierr.CodeUnavailable, "could not open the project directory: %v", err)
	}
	defer root.Close()
	links := map[string]bool{}
	for _, e := range p.archive.Entries {
		h := e.Header
		if throughLink(h.Name, links) {
			return apierr.Invalid("upload entry %q is inside a symbolic link", h.Name)
		}
		if dir := path.Dir(h.Name); dir != "." {
			if err := root.MkdirAll(dir, 0o755); err != nil {
				return apierr.Invalid("upload entry %q: %v", h.Name, err)
			}
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = root.MkdirAll(h.Name, 0o755)
		case tar.TypeReg:
			err = writeFile(root, h.Name, e.Data, os.FileMode(h.Mode)&0o755|0o600)
		case tar.TypeSymlink:
			if !downward(h.Linkname) {
				return linkOut(apierr.Invalid("upload entry %q links to %q: links may only point inside the upload, downwards (relative, no '..')", h.Name, h.Linkname))
			}
			links[h.Name] = true
			err = root.Symlink(h.Linkname, h.Name)
		case tar.TypeLink:
			if !downward(h.Linkname) || throughLink(h.Linkname, links) {
				return linkOut(apierr.Invalid("upload entry %q links to %q: links may only point inside the upload", h.Name, h.Linkname))
			}
			err = root.Link(h.Linkname, h.Name)
		}
		if err != nil {
			return apierr.Invalid("upload entry %q: %v", h.Name, err)
		}
	}
	_ = root.Remove(ComposeFile)
	if err := writeFile(root, ComposeFile, compose, 0o600); err != nil {
		return apierr.New(apierr.CodeUnavailable, "could not write the compose file: %v", err)
	}
	return nil
}

// linkOut names the rule a link that may lead out of the project breaks.
func linkOut(e *apierr.Error) *apierr.Error {
	e.Rule = policy.RuleUploadPaths
	return e
}

func writeFile(root *os.Root, name string, data []byte, mode os.FileMode) error {
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// downward reports whether a link target stays at or below the link's own
// directory: relative, without "..", and not the directory itself. Then no
// path through links is shallower than it reads, so ".." in a path never
// climbs further than it seems to.
func downward(target string) bool {
	if target == "" || strings.HasPrefix(target, "/") || strings.Contains(target, `\`) || path.Clean(target) == "." {
		return false
	}
	for _, part := range strings.Split(target, "/") {
		if part == ".." {
			return false
		}
	}
	return true
}

// throughLink reports whether name lies under one of the links written so far.
func throughLink(name string, links map[string]bool) bool {
	for dir := path.Dir(name); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if links[dir] {
			return true
		}
	}
	return false
}

// abs is the absolute path of rel inside the project.
func (p *projectDir) abs(rel string) string { return filepath.Join(p.path, rel) }
