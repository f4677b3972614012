package build

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/dockeronline/platform/pkg/apierr"
)

// Archive is an uploaded context, unpacked in memory and checked: every
// entry is a regular file, a directory or a link, under a relative path
// that stays inside the archive, and the whole fits the size limit.
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
		e := Entry{Header: h}
		h.Name = name
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA: //nolint:staticcheck // old archives still use it
			h.Typeflag = tar.TypeReg
			if a.size += h.Size; a.size > maxUnpacked {
				return nil, apierr.Invalid("the context unpacks to more than %d MB", maxUnpacked>>20)
			}
			if e.Data, err = io.ReadAll(io.LimitReader(tr, h.Size)); err != nil {
				return nil, apierr.Invalid("the context is not a valid tar archive: %v", err)
			}
		case tar.TypeDir, tar.TypeSymlink, tar.TypeLink:
		case tar.TypeXGlobalHeader, tar.TypeXHeader:
			continue
		default:
			return nil, apierr.Invalid("context entry %q is a device, pipe or other special file: only files, directories and links are allowed", name)
		}
		a.Entries = append(a.Entries, e)
	}
	return a, nil
}

// entryName cleans an archive path: relative, inside the archive.
func entryName(n string) (string, error) {
	n = strings.TrimPrefix(n, "./")
	if strings.HasPrefix(n, "/") || strings.Contains(n, `\`) {
		return "", apierr.Invalid("context entry %q has an absolute path", n)
	}
	c := path.Clean(n)
	if c == "." {
		return "", nil
	}
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", apierr.Invalid("context entry %q is outside the context", n)
	}
	return c, nil
}

// File returns the content of the regular file at name.
func (a *Archive) File(name string) ([]byte, bool) {
	name = path.Clean(strings.TrimPrefix(name, "./"))
	for i := len(a.Entries) - 1; i >= 0; i-- { // the last one wins, as on unpacking
		if e := a.Entries[i]; e.Header.Name == name && e.Header.Typeflag == tar.TypeReg {
			return e.Data, true
		}
	}
	return nil, false
}

// Size is the total size of the archive's files.
func (a *Archive) Size() int64 { return a.size }

// Tar writes the archive as an uncompressed tar, with extra files added
// (replacing entries of the same name).
func (a *Archive) Tar(extra map[string][]byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range a.Entries {
		if _, replaced := extra[e.Header.Name]; replaced {
			continue
		}
		h := *e.Header
		if h.Typeflag == tar.TypeDir && !strings.HasSuffix(h.Name, "/") {
			h.Name += "/"
		}
		if err := tw.WriteHeader(&h); err != nil {
			return nil, fmt.Errorf("write context: %w", err)
		}
		if _, err := tw.Write(e.Data); err != nil {
			return nil, fmt.Errorf("write context: %w", err)
		}
	}
	names := make([]string, 0, len(extra))
	for n := range extra {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		h := &tar.Header{Name: n, Mode: 0o644, Size: int64(len(extra[n])), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("write context: %w", err)
		}
		if _, err := tw.Write(extra[n]); err != nil {
			return nil, fmt.Errorf("write context: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("write context: %w", err)
	}
	return buf.Bytes(), nil
}

// Sub is the part of the archive under dir ("." for all of it), rooted
// there: a stack service's build context inside the uploaded project.
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
