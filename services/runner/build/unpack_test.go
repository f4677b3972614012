package build

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestUnpackToStaysInside: unpacking a context for BuildKit writes only
// inside its directory, whatever the tar says: a link out and a file
// written through it, an absolute or ".." name, a link as a directory.
func TestUnpackToStaysInside(t *testing.T) {
	outside := t.TempDir()
	tests := []struct {
		name    string
		entries []*tar.Header
		ok      bool
	}{
		{"plain", []*tar.Header{{Name: "d/", Typeflag: tar.TypeDir, Mode: 0o755}, {Name: "d/f", Typeflag: tar.TypeReg, Mode: 0o600}, {Name: "l", Typeflag: tar.TypeSymlink, Linkname: "d/f"}}, true},
		{"through a link out", []*tar.Header{{Name: "out", Typeflag: tar.TypeSymlink, Linkname: outside}, {Name: "out/pwned", Typeflag: tar.TypeReg, Mode: 0o644}}, false},
		{"through a relative link out", []*tar.Header{{Name: "up", Typeflag: tar.TypeSymlink, Linkname: "../../../../../../.." + outside}, {Name: "up/pwned", Typeflag: tar.TypeReg, Mode: 0o644}}, false},
		{"dot-dot name", []*tar.Header{{Name: "../pwned", Typeflag: tar.TypeReg, Mode: 0o644}}, false},
		{"absolute name", []*tar.Header{{Name: filepath.Join(outside, "pwned"), Typeflag: tar.TypeReg, Mode: 0o644}}, false},
		{"hard link", []*tar.Header{{Name: "h", Typeflag: tar.TypeLink, Linkname: "/etc/passwd"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tw := tar.NewWriter(&buf)
			for _, h := range tt.entries {
				if err := tw.WriteHeader(h); err != nil {
					t.Fatal(err)
				}
			}
			_ = tw.Close()
			err := unpackTo(buf.Bytes(), t.TempDir())
			if (err == nil) != tt.ok {
				t.Errorf("err %v, want ok=%v", err, tt.ok)
			}
			if _, err := os.Stat(filepath.Join(outside, "pwned")); err == nil {
				t.Fatalf("a file was written outside")
			}
		})
	}
}
