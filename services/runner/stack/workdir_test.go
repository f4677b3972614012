package stack

import (
	"archive/tar"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/services/runner/build"
	"github.com/dockeronline/platform/services/runner/policy"
)

func entry(name string, typ byte, link, data string) build.Entry {
	return build.Entry{Header: &tar.Header{Name: name, Typeflag: typ, Linkname: link, Mode: 0o644, Size: int64(len(data))}, Data: []byte(data)}
}

// TestProjectDirKeepsLinksInside: an upload is unpacked so that nothing in
// it leads outside: links point down only, and nothing is written through
// a link.
func TestProjectDirKeepsLinksInside(t *testing.T) {
	cases := []struct {
		name    string
		entries []build.Entry
		ok      bool
	}{
		{"files and a downward link", []build.Entry{entry("sub/a.yml", tar.TypeReg, "", "x"), entry("b.yml", tar.TypeSymlink, "sub/a.yml", "")}, true},
		{"link to an absolute path", []build.Entry{entry("etc", tar.TypeSymlink, "/etc", "")}, false},
		{"link climbing out", []build.Entry{entry("up", tar.TypeSymlink, "../../..", "")}, false},
		{"link climbing inside its target", []build.Entry{entry("sub/x", tar.TypeReg, "", "x"), entry("l", tar.TypeSymlink, "sub/../..", "")}, false},
		{"link to its own folder", []build.Entry{entry("self", tar.TypeSymlink, ".", "")}, false},
		{"writing through a link", []build.Entry{entry("d", tar.TypeSymlink, "sub", ""), entry("d/evil", tar.TypeReg, "", "x")}, false},
		{"hard link outside", []build.Entry{entry("h", tar.TypeLink, "../../etc/passwd", "")}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := newProjectDir(t.TempDir(), &build.Archive{Entries: c.entries}, []byte("services: {}\n"))
			if c.ok != (err == nil) {
				t.Fatalf("newProjectDir: %v, want ok=%v", err, c.ok)
			}
			if err != nil {
				if apierr.From(err).Code != apierr.CodeInvalid {
					t.Errorf("error %v is not invalid_argument", err)
				}
				return
			}
			defer p.remove()
			if b, err := os.ReadFile(filepath.Join(p.path, ComposeFile)); err != nil || string(b) != "services: {}\n" {
				t.Errorf("compose file %q, %v", b, err)
			}
			if b, err := os.ReadFile(filepath.Join(p.path, "b.yml")); err != nil || string(b) != "x" {
				t.Errorf("through the link: %q, %v", b, err)
			}
		})
	}
}

// TestConfinedLoader: files compose-go would load are refused outside the
// project, before they are read.
func TestConfinedLoader(t *testing.T) {
	root := t.TempDir()
	l := &confinedLoader{root: root}
	for _, c := range []struct {
		path string
		take bool
		rule string
	}{
		{"base.yml", false, ""},
		{filepath.Join(root, "base.yml"), false, ""},
		{"../x.yml", true, policy.RuleUploadPaths},
		{"/etc/compose.yml", true, policy.RuleUploadPaths},
		{"/var/run/docker.sock", true, policy.RuleDockerSock},
		{"sub/../base.yml", true, ""},
	} {
		if got := l.Accept(c.path); got != c.take {
			t.Errorf("Accept(%q) = %v, want %v", c.path, got, c.take)
		}
		if !c.take {
			continue
		}
		abs, err := l.Load(context.Background(), c.path)
		got := ""
		if ae := apierr.From(err); ae != nil {
			got = ae.Rule
		}
		if got != c.rule || (err == nil && !strings.HasPrefix(abs, root)) {
			t.Errorf("Load(%q) = %q, %v; want rule %q", c.path, abs, err, c.rule)
		}
	}
}
