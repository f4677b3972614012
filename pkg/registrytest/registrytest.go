// Package registrytest runs a real container registry for tests: the
// Distribution project's registry, built as a Go tool into bin/registry by
// `make tools`, on 127.0.0.1 with its own storage. The machine has no other
// registry; Docker treats 127.0.0.0/8 as insecure by default, so the engine
// pushes to and pulls from it over plain HTTP.
package registrytest

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/testenv"
)

// Registry is a running registry.
type Registry struct {
	// Host is "127.0.0.1:<port>", the prefix of its image references.
	Host string
}

// config is the smallest configuration the registry serves with: local
// storage that allows deletes, no auth, quiet logs.
const config = `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %q
  delete:
    enabled: true
http:
  addr: %q
`

// Start runs a registry until the test ends.
func Start(t testing.TB) *Registry {
	t.Helper()
	bin := filepath.Join(testenv.RepoRoot(t), "bin", "registry")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("registrytest: %s is missing: run `make tools` (it builds the Distribution registry from deploy/tools/registry): %v", bin, err)
	}
	dir := t.TempDir()
	host := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, config, filepath.Join(dir, "data"), host), 0o600); err != nil {
		t.Fatal(err)
	}
	var out lockedBuffer
	cmd := exec.Command(bin, "serve", cfg)
	cmd.Stdout, cmd.Stderr = &out, &out
	// Its own process group, killed if the test binary dies first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("registrytest: start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			t.Logf("registrytest: output of the registry:\n%s", out.String())
		}
	})
	waitReady(t, "http://"+host+"/v2/", exited, &out)
	return &Registry{Host: host}
}

// waitReady polls the registry's API root until it answers 200.
func waitReady(t testing.TB, url string, exited <-chan struct{}, out *lockedBuffer) {
	t.Helper()
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if res, err := c.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-exited:
			t.Fatalf("registrytest: the registry exited at start:\n%s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("registrytest: the registry did not answer %s within 30s:\n%s", url, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Ref is the full reference of repoTag ("app:1") in this registry.
func (r *Registry) Ref(repoTag string) string { return r.Host + "/" + repoTag }

// noAuth is an empty X-Registry-Auth ("{}" in base64): the engine refuses a
// push without the header, and this registry needs no credentials.
const noAuth = "e30="

// Push tags the local image src as repoTag in this registry, pushes it, and
// returns the full reference. The local tag is removed when the test ends.
func (r *Registry) Push(t testing.TB, cli *client.Client, src, repoTag string) string {
	t.Helper()
	ref := r.Ref(repoTag)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := cli.ImageTag(ctx, client.ImageTagOptions{Source: src, Target: ref}); err != nil {
		t.Fatalf("registrytest: tag %s as %s: %v", src, ref, err)
	}
	t.Cleanup(func() { RemoveLocal(t, cli, ref) })
	res, err := cli.ImagePush(ctx, ref, client.ImagePushOptions{RegistryAuth: noAuth})
	if err != nil {
		t.Fatalf("registrytest: push %s: %v", ref, err)
	}
	defer res.Close()
	if err := dockertest.DrainJSONStream(res); err != nil {
		t.Fatalf("registrytest: push %s: %v", ref, err)
	}
	return ref
}

// RemoveLocal removes ref from the local engine, with the untagged layers
// only it used, so that a later pull has to download them from the
// registry. A missing image is fine.
func RemoveLocal(t testing.TB, cli *client.Client, ref string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := cli.ImageRemove(ctx, ref, client.ImageRemoveOptions{PruneChildren: true}); err != nil && !cerrdefs.IsNotFound(err) {
		t.Errorf("registrytest: remove local %s: %v", ref, err)
	}
}

// lockedBuffer collects the registry's output for a failing test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// BuildLayered builds tag FROM the local busybox test image with layers
// extra layers of size random bytes each, and returns tag. Random content
// makes every layer new to the engine and the registry, so pushing and
// pulling it really moves each layer and reports progress for it.
func BuildLayered(t testing.TB, cli *client.Client, tag string, layers, size int) string {
	t.Helper()
	base := dockertest.BusyboxImage(t, cli)
	files := map[string][]byte{}
	dockerfile := "FROM " + base + "\n"
	for i := range layers {
		name := fmt.Sprintf("layer%d.bin", i)
		b := make([]byte, size)
		_, _ = rand.Read(b)
		files[name] = b
		dockerfile += fmt.Sprintf("COPY %s /data/%s\n", name, name)
	}
	files["Dockerfile"] = []byte(dockerfile)
	dockertest.BuildImage(t, cli, tag, files)
	t.Cleanup(func() { RemoveLocal(t, cli, tag) })
	return tag
}
