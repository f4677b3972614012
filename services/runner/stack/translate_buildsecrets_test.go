package stack

import (
	"context"
	"testing"
	"time"

	"github.com/dockeronline/platform/services/runner/build"
	"github.com/dockeronline/platform/services/runner/policy"
)

// TestBuildSecretFromAProjectFile: a top-level secret with file: in the
// project, used by a build (build: secrets:), reaches the build under the
// id the file gave it, with the file's content, after translateFiles has
// renamed the secret's key.
func TestBuildSecretFromAProjectFile(t *testing.T) {
	compose := "services:\n  web:\n    build:\n      context: .\n      secrets: [npm_token, {source: pip, target: pip_conf}]\n" +
		"secrets:\n  npm_token:\n    file: ./secrets/npm.txt\n  pip:\n    file: ./pip.conf\n"
	files := []build.Entry{folder("secrets"), file("secrets/npm.txt", "tok-1", 0o600), file("pip.conf", "index=x", 0o644), file("Dockerfile", "FROM busybox\n", 0o644)}
	dir, err := newProjectDir(t.TempDir(), &build.Archive{Entries: files}, []byte(compose))
	if err != nil {
		t.Fatal(err)
	}
	defer dir.remove()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := loadProject(ctx, dir, "alice--shop", []byte(compose), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := translate(&translation{project: p, dir: dir, tenant: policy.Tenant{UserID: "u-alice", Username: "alice"}, stack: "shop"}); err != nil {
		t.Fatal(err)
	}
	got, err := buildSecrets(dir, p, p.Services["web"].Build)
	if err != nil {
		t.Fatal(err)
	}
	if string(got["npm_token"]) != "tok-1" || string(got["pip_conf"]) != "index=x" || len(got) != 2 {
		t.Errorf("build secrets %q, want npm_token and pip_conf by the file's ids", got)
	}
}
