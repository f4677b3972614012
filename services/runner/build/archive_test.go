package build

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
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

func TestUnpack(t *testing.T) {
	cases := []struct {
		name    string
		gz      bool
		entries []*tar.Header
		max     int64
		ok      bool
	}{
		{"plain tar", false, []*tar.Header{file("./Dockerfile", "FROM x\n"), {Name: "src/", Typeflag: tar.TypeDir, Mode: 0o755}, file("src/a", "a")}, 1 << 20, true},
		{"gzip", true, []*tar.Header{file("Dockerfile", "FROM x\n")}, 1 << 20, true},
		{"climbing out", false, []*tar.Header{file("../../etc/cron.d/x", "x")}, 1 << 20, false},
		{"absolute", false, []*tar.Header{file("/etc/passwd", "x")}, 1 << 20, false},
		{"device", false, []*tar.Header{{Name: "dev", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3, Mode: 0o600}}, 1 << 20, false},
		{"too big unpacked", true, []*tar.Header{file("big", string(make([]byte, 2048)))}, 1024, false},
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
			out, err := a.Tar(map[string][]byte{"Dockerfile": []byte("FROM y\n")})
			if err != nil {
				t.Fatal(err)
			}
			again, err := Unpack(out, c.max)
			if err != nil {
				t.Fatal(err)
			}
			if df, _ := again.File("Dockerfile"); string(df) != "FROM y\n" {
				t.Errorf("replaced Dockerfile %q", df)
			}
		})
	}
	if _, err := Unpack([]byte("not a tar at all, not even close........"), 1<<20); err == nil {
		t.Errorf("garbage unpacked")
	}
}
