package e2e

import (
	"archive/tar"
	"bytes"
	"sort"
	"testing"
	"time"

	"github.com/dockeronline/platform/e2e/stack"
)

// postStackWithLinks posts a stack with an upload holding files and
// symbolic links (name → target), as a tar made on the author's machine
// would: what a corpus project's expect.json "links" adds to its folder.
func postStackWithLinks(t *testing.T, s *stack.Stack, token string, req map[string]any, files, links map[string]string) stack.Response {
	t.Helper()
	var archive bytes.Buffer
	tw := tar.NewWriter(&archive)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), ModTime: time.Unix(0, 0)}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(files[n])); err != nil {
			t.Fatal(err)
		}
	}
	for n, target := range links {
		if err := tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777, ModTime: time.Unix(0, 0)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return postArchive(t, s, token, "/api/v1/stacks", req, &archive)
}
