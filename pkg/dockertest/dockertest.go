// Package dockertest gives tests a real Docker engine: a client, and images
// built locally (this machine has no registry, so nothing can be pulled).
package dockertest

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
)

// BusyboxTag is the test image: a static busybox with a shell, httpd, nc,
// sleep — enough for run, terminal, logs and web-link tests.
const BusyboxTag = "dockeronline-test/busybox:latest"

// BusyboxBinary is where Debian's busybox-static puts the static binary.
const BusyboxBinary = "/bin/busybox"

// Client returns a client for the engine in DOCKER_HOST (or the default socket).
func Client(t testing.TB) *client.Client {
	t.Helper()
	cli, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatalf("docker client: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		t.Fatalf("docker engine not reachable (is dockerd running?): %v", err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

var busyboxOnce sync.Mutex

// BusyboxImage builds (once per engine) and returns BusyboxTag.
func BusyboxImage(t testing.TB, cli *client.Client) string {
	t.Helper()
	busyboxOnce.Lock()
	defer busyboxOnce.Unlock()
	ctx := context.Background()
	if _, err := cli.ImageInspect(ctx, BusyboxTag); err == nil {
		return BusyboxTag
	}
	bin, err := os.ReadFile(BusyboxBinary)
	if err != nil {
		t.Fatalf("%s missing (apt-get install busybox-static, or `make deps`): %v", BusyboxBinary, err)
	}
	BuildImage(t, cli, BusyboxTag, map[string][]byte{
		"Dockerfile": []byte("FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nCMD [\"/bin/sh\"]\n"),
		"busybox":    bin,
	})
	return BusyboxTag
}

// BuildImage builds files (a Dockerfile and what it copies) as tag.
func BuildImage(t testing.TB, cli *client.Client, tag string, files map[string][]byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := cli.ImageBuild(ctx, TarOf(t, files), client.ImageBuildOptions{Tags: []string{tag}, Remove: true, ForceRemove: true})
	if err != nil {
		t.Fatalf("build %s: %v", tag, err)
	}
	defer res.Body.Close()
	if err := DrainJSONStream(res.Body); err != nil {
		t.Fatalf("build %s: %v", tag, err)
	}
}

// TarOf makes an in-memory tar of files (mode 0755, so binaries run).
func TarOf(t testing.TB, files map[string][]byte) io.Reader {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b := files[n]
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o755, Size: int64(len(b)), ModTime: time.Unix(0, 0)}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}

// DrainJSONStream reads a Docker JSON message stream (build, pull, push) to
// the end and returns the first error it reports.
func DrainJSONStream(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if m.Error != nil {
			return fmt.Errorf("%s", m.Error.Message)
		}
	}
}
