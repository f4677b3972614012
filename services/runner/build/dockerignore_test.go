package build

import (
	"archive/tar"
	"slices"
	"strings"
	"testing"
)

// TestApplyDockerignore: the context sent is the upload less what its
// ignore file excludes, with BuildKit's semantics and file choice.
func TestApplyDockerignore(t *testing.T) {
	base := []*tar.Header{
		file("Dockerfile", "FROM busybox\n"), dir("app"), file("app/main.go", "x"), file("app/main_test.go", "x"),
		dir("node_modules"), dir("node_modules/x"), file("node_modules/x/y.js", "x"), file(".git/HEAD", "x"),
		file("secret.env", "x"), file("docs/README.md", "x"), file("docs/other.md", "x"), link("cur", "app"),
		file("build/app.Dockerfile", "FROM busybox\n"),
	}
	cases := []struct {
		name       string
		dockerfile string
		ignore     map[string]string // ignore files added to the upload
		dropped    []string
	}{
		{"no ignore file", "Dockerfile", nil, nil},
		{"the usual", "Dockerfile", map[string]string{".dockerignore": "# deps\nnode_modules\n.git\n*.env\n**/*_test.go\n"},
			[]string{"node_modules", "node_modules/x", "node_modules/x/y.js", ".git/HEAD", "secret.env", "app/main_test.go"}},
		{"exception", "Dockerfile", map[string]string{".dockerignore": "docs\n!docs/README.md\n"}, []string{"docs/other.md"}},
		{"exception then exclusion", "Dockerfile", map[string]string{".dockerignore": "docs\n!docs/README.md\ndocs/README.md\n"}, []string{"docs/README.md", "docs/other.md"}},
		{"everything but", "Dockerfile", map[string]string{".dockerignore": "*\n!app\n"},
			[]string{"Dockerfile", "node_modules", "node_modules/x", "node_modules/x/y.js", ".git/HEAD", "secret.env", "docs/README.md", "docs/other.md", "cur", "build/app.Dockerfile", ".dockerignore"}},
		{"leading slash and dot", "Dockerfile", map[string]string{".dockerignore": "/secret.env\n./docs/other.md\n"}, []string{"secret.env", "docs/other.md"}},
		{"a link is an entry, not its target", "Dockerfile", map[string]string{".dockerignore": "cur\n"}, []string{"cur"}},
		{"Dockerfile's own ignore file wins", "build/app.Dockerfile",
			map[string]string{".dockerignore": "app\n", "build/app.Dockerfile.dockerignore": "docs\n"}, []string{"docs/README.md", "docs/other.md", ".dockerignore"}},
		{"root ignore file for another Dockerfile", "build/app.Dockerfile", map[string]string{".dockerignore": "app\n"},
			[]string{"app", "app/main.go", "app/main_test.go"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hs := slices.Clone(base)
			for name, body := range c.ignore {
				hs = append(hs, file(name, body))
			}
			for i, h := range hs {
				cp := *h
				hs[i] = &cp
			}
			a, err := Unpack(tarball(t, false, hs...), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			before := entryNames(a)
			sent, err := a.WithoutIgnored(c.dockerfile)
			if err != nil {
				t.Fatal(err)
			}
			want := slices.DeleteFunc(slices.Clone(before), func(n string) bool { return slices.Contains(c.dropped, n) })
			if got := entryNames(sent); !slices.Equal(got, want) {
				t.Fatalf("kept %v\nwant %v", got, want)
			}
			var size int64
			for _, e := range sent.Entries {
				size += int64(len(e.Data))
			}
			if sent.Size() != size {
				t.Fatalf("size %d, want %d", sent.Size(), size)
			}
			// The upload itself is left whole (a stack's services share it).
			if got := entryNames(a); !slices.Equal(got, before) {
				t.Fatalf("the upload changed: %v", got)
			}
		})
	}
}

func TestApplyDockerignoreRefusals(t *testing.T) {
	cases := []struct {
		name string
		hs   []*tar.Header
	}{
		{"too many patterns", []*tar.Header{file(".dockerignore", strings.Repeat("x\n", maxIgnorePatterns+1))}},
		{"a bad pattern", []*tar.Header{file(".dockerignore", "[\n")}},
		{"not a file", []*tar.Header{dir(".dockerignore")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := Unpack(tarball(t, false, c.hs...), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.WithoutIgnored("Dockerfile"); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func entryNames(a *Archive) []string {
	var out []string
	for _, e := range a.Entries {
		out = append(out, e.Header.Name)
	}
	return out
}
