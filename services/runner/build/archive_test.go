package build

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"

	"github.com/dockeronline/platform/pkg/apierr"
)

func tarball(t *testing.T, gz bool, hs ...*tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w = &buf
	var zw *gzip.Writer
	tw := tar.NewWriter(w)
	if gz {
		zw = gzip.NewWriter(w)
		tw = tar.NewWriter(zw)
	}
	for _, h := range hs {
		data := []byte(h.Linkname)
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(data))
		}
		if h.Typeflag != tar.TypeReg {
			data = nil
		} else {
			h.Linkname = ""
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// file is a regular file whose content is carried in Linkname (see tarball).
func file(name, content string) *tar.Header {
	return &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Linkname: content}
}

func link(name, target string) *tar.Header {
	return &tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777}
}

func dir(name string) *tar.Header { return &tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: 0o755} }

// TestUnpack: an upload is kept only if it is plain files, directories and
// links that stay inside, each name once; whatever the engine then reads as
// the Dockerfile is the judged one.
func TestUnpack(t *testing.T) {
	cases := []struct {
		name    string
		gz      bool
		entries []*tar.Header
		max     int64
		ok      bool
	}{
		{"plain tar", false, []*tar.Header{file("./Dockerfile", "FROM x\n"), dir("src/"), file("src/a", "a")}, 1 << 20, true},
		{"gzip", true, []*tar.Header{file("Dockerfile", "FROM x\n")}, 1 << 20, true},
		{"links that stay inside", false, []*tar.Header{file("Dockerfile", "FROM x\n"), dir("lib"), file("lib/a.so.1", "a"),
			link("lib/a.so", "a.so.1"), link("bin", "lib/../lib"), dir("node_modules/.bin"), link("node_modules/.bin/tsc", "../../lib/a.so")}, 1 << 20, true},
		{"climbing out", false, []*tar.Header{file("../../etc/cron.d/x", "x")}, 1 << 20, false},
		{"dot-dot inside the name", false, []*tar.Header{file("Dockerfile", "FROM x\n"), file("a/../b", "x")}, 1 << 20, false},
		{"absolute", false, []*tar.Header{file("/etc/passwd", "x")}, 1 << 20, false},
		{"device", false, []*tar.Header{{Name: "dev", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3, Mode: 0o600}}, 1 << 20, false},
		{"fifo", false, []*tar.Header{{Name: "pipe", Typeflag: tar.TypeFifo, Mode: 0o600}}, 1 << 20, false},
		{"too big unpacked", true, []*tar.Header{file("big", string(make([]byte, 2048)))}, 1024, false},
		{"a later symlink named Dockerfile", false, []*tar.Header{file("Dockerfile", "FROM x\n"), file("evil", "FROM y\nADD http://127.0.0.1/ /x\n"), link("Dockerfile", "evil")}, 1 << 20, false},
		{"a hard link named Dockerfile", false, []*tar.Header{file("evil", "FROM y\n"), {Name: "Dockerfile", Typeflag: tar.TypeLink, Linkname: "evil"}}, 1 << 20, false},
		{"Dockerfile twice", false, []*tar.Header{file("Dockerfile", "FROM x\n"), file("./Dockerfile", "FROM y\n")}, 1 << 20, false},
		{"a directory named Dockerfile", false, []*tar.Header{file("Dockerfile", "FROM x\n"), dir("Dockerfile/")}, 1 << 20, false},
		{"absolute symlink", false, []*tar.Header{link("etc", "/etc")}, 1 << 20, false},
		{"symlink climbing out", false, []*tar.Header{link("up", "../..")}, 1 << 20, false},
		{"symlink climbing out through another", false, []*tar.Header{dir("d"), link("d/s", ".."), link("t", "d/s/..")}, 1 << 20, false},
		{"symlink loop", false, []*tar.Header{link("a", "b"), link("b", "a"), link("c", "a/x")}, 1 << 20, false},
		{"entry beneath a symlink", false, []*tar.Header{dir("sub"), link("d", "sub"), file("d/Dockerfile", "FROM y\n")}, 1 << 20, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := Unpack(tarball(t, c.gz, c.entries...), c.max)
			if c.ok != (err == nil) {
				t.Fatalf("Unpack: %v, want ok=%v", err, c.ok)
			}
			if err != nil {
				if apierr.From(err).Code != apierr.CodeInvalid {
					t.Errorf("error %v is not invalid_argument", err)
				}
				return
			}
			if df, ok := a.File("Dockerfile"); !ok || string(df) != "FROM x\n" {
				t.Errorf("Dockerfile %q, %v", df, ok)
			}
			out, name, err := a.Context([]byte("FROM judged\n"))
			if err != nil {
				t.Fatal(err)
			}
			again, err := Unpack(out, c.max)
			if err != nil {
				t.Fatal(err)
			}
			if df, _ := again.File(name); string(df) != "FROM judged\n" {
				t.Errorf("judged Dockerfile %q", df)
			}
			if ig, _ := again.File(".dockerignore"); !strings.HasSuffix(string(ig), "\n"+name+"\n") {
				t.Errorf(".dockerignore %q does not end with %s", ig, name)
			}
			if _, other, _ := a.Context(nil); other == name {
				t.Errorf("the Dockerfile's name %s was chosen twice", name)
			}
		})
	}
	if _, err := Unpack([]byte("not a tar at all, not even close........"), 1<<20); err == nil {
		t.Errorf("garbage unpacked")
	}
}

// TestContextHeaders: the engine gets fresh headers: no owners, no
// set-id bits, no extended attributes (file capabilities) from the upload.
func TestContextHeaders(t *testing.T) {
	h := file("tool", "x")
	h.Mode, h.Uid, h.Gid, h.Uname = 0o4755, 1000, 1000, "alice"
	h.PAXRecords = map[string]string{"SCHILY.xattr.security.capability": "\x01\x00\x00\x02"}
	a, err := Unpack(tarball(t, false, h, file(".dockerignore", "*.log\n!keep.log")), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	out, name, err := a.Context([]byte("FROM x\n"))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(out))
	for {
		got, err := tr.Next()
		if err != nil {
			break
		}
		if got.Mode&^0o777 != 0 || got.Uid != 0 || got.Gid != 0 || got.Uname != "" || len(got.PAXRecords) > 0 && got.PAXRecords["SCHILY.xattr.security.capability"] != "" {
			t.Errorf("entry %s kept %o %d/%d %q %v", got.Name, got.Mode, got.Uid, got.Gid, got.Uname, got.PAXRecords)
		}
		if got.Name == ".dockerignore" {
			b, _ := io.ReadAll(tr)
			if want := "*.log\n!keep.log\n" + name + "\n"; string(b) != want {
				t.Errorf(".dockerignore %q, want %q", b, want)
			}
		}
	}
	// A context's .dockerignore must be a file.
	a, err = Unpack(tarball(t, false, file("x", "x"), link(".dockerignore", "x")), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Context(nil); apierr.From(err) == nil {
		t.Errorf("a linked .dockerignore was accepted")
	}
}
