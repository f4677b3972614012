package stack

import (
	"archive/tar"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/dockeronline/platform/services/runner/build"
)

// TestBuildSecretValues: a build's secrets come from the compose file, the
// project's variables and the upload, by the id the Dockerfile reads.
func TestBuildSecretValues(t *testing.T) {
	dir := &projectDir{path: "/p", archive: &build.Archive{Entries: []build.Entry{
		{Header: &tar.Header{Name: "secrets/npm.txt", Typeflag: tar.TypeReg}, Data: []byte("from-file")},
		{Header: &tar.Header{Name: "big", Typeflag: tar.TypeReg}, Data: []byte(strings.Repeat("x", build.MaxSecretBytes+1))},
		{Header: &tar.Header{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "secrets/npm.txt"}},
	}}}
	p := &types.Project{
		Environment: types.Mapping{"GH": "from-env"},
		Secrets: types.Secrets{
			"c": {Content: "from-content"}, "e": {Environment: "GH"}, "f": {File: "/p/secrets/npm.txt"},
			"big": {File: "/p/big"}, "link": {File: "/p/link"}, "out": {File: "/etc/shadow"}, "missing": {File: "/p/nope"},
		},
	}
	got, err := buildSecrets(dir, p, &types.BuildConfig{Secrets: []types.ServiceSecretConfig{
		{Source: "c"}, {Source: "e", Target: "gh_token"}, {Source: "f", Target: "npm"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"c": "from-content", "gh_token": "from-env", "npm": "from-file"}
	if len(got) != len(want) {
		t.Fatalf("got %d secrets, want %d", len(got), len(want))
	}
	for id, v := range want {
		if string(got[id]) != v {
			t.Errorf("secret %s = %q, want %q", id, got[id], v)
		}
	}
	for _, bad := range []string{"big", "link", "out", "missing", "undefined"} {
		if _, err := buildSecrets(dir, p, &types.BuildConfig{Secrets: []types.ServiceSecretConfig{{Source: bad}}}); err == nil {
			t.Errorf("secret %s was accepted", bad)
		}
	}
	if got, err := buildSecrets(dir, p, &types.BuildConfig{}); got != nil || err != nil {
		t.Errorf("no secrets: %v, %v", got, err)
	}
}
