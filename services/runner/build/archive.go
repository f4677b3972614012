package build

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/services/runner/policy"
)

// Archive is an uploaded context, unpacked in memory and checked: regular
// files, directories and relative symbolic links that resolve inside it,
// each name once, under a relative path without "..", and the whole fits
// the size limit. Nothing else of the upload (owners, modes beyond the
// permission bits, extended attributes, hard links, devices) reaches the
// engine: Context writes fresh headers.
type Archive struct {
	Entries []Entry
	size    int64
}

// Entry is one member of an archive; Data is set for regular files.
type Entry struct {
	Header *tar.Header
	Data   []byte
}

// NewArchive is an empty archive (a Dockerfile-only build).
func NewArchive() *Archive { return &Archive{} }

// maxLinkHops bounds symbolic link resolution, as the kernel does (ELOOP).
const maxLinkHops = 40

// Unpack reads a tar or gzip-compressed tar. maxUnpacked bounds the total
// size of its files, so a small compressed upload cannot unfold into
// gigabytes.
func Unpack(raw []byte, maxUnpacked int64) (*Archive, error) {
	var r io.Reader = bytes.NewReader(raw)
	if len(raw) >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, apierr.Invalid("the context is not a valid gzip file: %v", err)
		}
		defer zr.Close()
		r = zr
	}
	a := &Archive{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, apierr.Invalid("the context is not a valid tar archive: %v", err)
		}
		name, err := entryName(h.Name)
		if err != nil {
			return nil, err
		}
		if name == "" {
			continue // the archive's root
		}
		e := Entry{Header: &tar.Header{Name: name, Mode: h.Mode & 0o777, ModTime: h.ModTime}}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA: //nolint:staticcheck // old archives still use it
			e.Header.Typeflag = tar.TypeReg
			if a.size += h.Size; a.size > maxUnpacked {
				return nil, apierr.Invalid("the context unpacks to more than %d MB", maxUnpacked>>20)
			}
			if e.Data, err = io.ReadAll(io.LimitReader(tr, h.Size)); err != nil {
				return nil, apierr.Invalid("the context is not a valid tar archive: %v", err)
			}
			e.Header.Size = int64(len(e.Data))
		case tar.TypeDir:
			e.Header.Typeflag = tar.TypeDir
		case tar.TypeSymlink:
			e.Header.Typeflag, e.Header.Linkname = tar.TypeSymlink, h.Linkname
		case tar.TypeLink:
			return nil, apierr.Invalid("context entry %q is a hard link: only files, directories and relative symbolic links are allowed", name)
		case tar.TypeXGlobalHeader:
			continue
		default:
			return nil, apierr.Invalid("context entry %q is a device, pipe or other special file: only files, directories and relative symbolic links are allowed", name)
		}
		a.Entries = append(a.Entries, e)
	}
	if err := a.check(); err != nil {
		return nil, err
	}
	return a, nil
}

// entryName cleans an archive path: relative, no "..", inside the archive.
func entryName(n string) (string, error) {
	if strings.HasPrefix(n, "/") || strings.Contains(n, `\`) {
		return "", apierr.Invalid("context entry %q has an absolute path", n)
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "", apierr.Invalid("context entry %q is outside the context", n)
		}
	}
	if c := path.Clean(n); c != "." {
		return c, nil
	}
	return "", nil
}

// check refuses what a reader of the unpacked context could be fooled by:
// a name twice (the last one would win), an entry beneath a symbolic link
// (written through it), and links that are absolute or resolve outside
// the archive, following the archive's own links.
func (a *Archive) check() error {
	kinds := make(map[string]byte, len(a.Entries))
	links := map[string]string{}
	for _, e := range a.Entries {
		n := e.Header.Name
		if _, dup := kinds[n]; dup {
			return apierr.Invalid("context entry %q appears twice: each name may appear once", n)
		}
		kinds[n] = e.Header.Typeflag
		if e.Header.Typeflag == tar.TypeSymlink {
			links[n] = e.Header.Linkname
		}
	}
	for _, e := range a.Entries {
		n := e.Header.Name
		for d := path.Dir(n); d != "."; d = path.Dir(d) {
			if _, ok := links[d]; ok {
				return apierr.Invalid("context entry %q is beneath the symbolic link %q", n, d)
			}
		}
		if e.Header.Typeflag != tar.TypeSymlink {
			continue
		}
		if t := e.Header.Linkname; t == "" || strings.HasPrefix(t, "/") || strings.Contains(t, `\`) {
			return leaves(apierr.Invalid("context entry %q links to %q: links must be relative and stay inside the context", n, t))
		}
		if escapes(links, path.Dir(n), e.Header.Linkname) {
			return leaves(apierr.Invalid("context entry %q links to %q, outside the context", n, e.Header.Linkname))
		}
	}
	return nil
}

// escapes resolves target from dir as the kernel would inside the
// archive, following the archive's links, and reports whether it leaves
// the archive's root (or loops).
func escapes(links map[string]string, dir, target string) bool {
	var at []string
	if dir != "." {
		at = strings.Split(dir, "/")
	}
	rest := strings.Split(target, "/")
	for hops := 0; len(rest) > 0; {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(at) == 0 {
				return true
			}
			at = at[:len(at)-1]
			continue
		}
		at = append(at, c)
		t, ok := links[strings.Join(at, "/")]
		if !ok {
			continue
		}
		if hops++; hops > maxLinkHops || strings.HasPrefix(t, "/") {
			return true
		}
		at = at[:len(at)-1]
		rest = append(strings.Split(t, "/"), rest...)
	}
	return false
}

// File returns the content of the regular file at name (never through a
// link: the Dockerfile judged is a file the upload really holds).
func (a *Archive) File(name string) ([]byte, bool) {
	name = path.Clean(strings.TrimPrefix(name, "./"))
	for _, e := range a.Entries {
		if e.Header.Name == name && e.Header.Typeflag == tar.TypeReg {
			return e.Data, true
		}
	}
	return nil, false
}

// Size is the total size of the archive's files.
func (a *Archive) Size() int64 { return a.size }

// dockerignore is the file the engine reads to leave files out.
const dockerignore = ".dockerignore"

// Context writes the build context the engine receives: the archive's
// entries with fresh headers, and the judged Dockerfile under a name the
// platform chooses anew for each build, which no entry of the archive can
// have, so the engine can only read the bytes the policy judged. The
// Dockerfile is left out of the image's context (.dockerignore), as the
// engine does for its own Dockerfile.
func (a *Archive) Context(dockerfile []byte) (tarball []byte, name string, err error) {
	if err := a.check(); err != nil { // Sub may have cut links loose
		return nil, "", err
	}
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return nil, "", fmt.Errorf("choose the Dockerfile's name: %w", err)
	}
	name = ".dockeronline-" + hex.EncodeToString(b) + ".Dockerfile"
	ignore := []byte(dockerignore + "\n") // the platform's own file stays out of the image
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range a.Entries {
		h := *e.Header
		switch {
		case h.Name == name:
			continue // cannot happen (random), but never let it through
		case h.Name == dockerignore && h.Typeflag == tar.TypeReg:
			ignore = append(append([]byte(nil), e.Data...), '\n')
			continue
		case h.Name == dockerignore:
			return nil, "", apierr.Invalid("context entry %q must be a regular file", dockerignore)
		}
		if err := writeEntry(tw, h.Name, h.Typeflag, h.Mode, h.Linkname, e.Data); err != nil {
			return nil, "", err
		}
	}
	// The platform's line comes last, so no "!" exception can undo it.
	ignore = append(ignore, name...)
	ignore = append(ignore, '\n')
	if err := writeEntry(tw, dockerignore, tar.TypeReg, 0o644, "", ignore); err != nil {
		return nil, "", err
	}
	if err := writeEntry(tw, name, tar.TypeReg, 0o644, "", dockerfile); err != nil {
		return nil, "", err
	}
	if err := tw.Close(); err != nil {
		return nil, "", fmt.Errorf("write context: %w", err)
	}
	return buf.Bytes(), name, nil
}

func writeEntry(tw *tar.Writer, name string, typ byte, mode int64, link string, data []byte) error {
	h := &tar.Header{Name: name, Typeflag: typ, Mode: mode & 0o777, ModTime: time.Unix(0, 0), Linkname: link, Format: tar.FormatPAX}
	switch typ {
	case tar.TypeDir:
		h.Name += "/"
	case tar.TypeReg:
		h.Size = int64(len(data))
	}
	if err := tw.WriteHeader(h); err != nil {
		return fmt.Errorf("write context: %w", err)
	}
	if _, err := tw.Write(data); err != nil {
		return fmt.Errorf("write context: %w", err)
	}
	return nil
}

// leaves names the rule a link leading out of an upload breaks (a stack's
// project paths are judged by it too): the refusal stays a 400.
func leaves(e *apierr.Error) *apierr.Error {
	e.Rule = policy.RuleUploadPaths
	return e
}

// Sub is the part of the archive under dir ("." for all of it), rooted
// there: a stack service's build context inside the uploaded project.
// Links are checked again when the context is written (Context).
func (a *Archive) Sub(dir string) *Archive {
	dir = path.Clean(strings.TrimPrefix(dir, "./"))
	if dir == "." || dir == "" {
		return a
	}
	out := &Archive{}
	for _, e := range a.Entries {
		rest, ok := strings.CutPrefix(e.Header.Name, dir+"/")
		if !ok {
			continue
		}
		h := *e.Header
		h.Name = rest
		out.Entries = append(out.Entries, Entry{Header: &h, Data: e.Data})
		out.size += int64(len(e.Data))
	}
	return out
}
