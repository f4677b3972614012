package dockertest

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

// Logs returns a (non-TTY) container's stdout and stderr so far.
func Logs(t testing.TB, cli *client.Client, id string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rc, err := cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatalf("logs %s: %v", id, err)
	}
	defer rc.Close()
	var o, e bytes.Buffer
	if _, err := stdcopy.StdCopy(&o, &e, rc); err != nil && err != io.EOF {
		t.Fatalf("logs %s: %v", id, err)
	}
	return o.String(), e.String()
}

// WaitLogs polls until the container's output holds want (30s at most) and
// returns the output; it fails the test if want never shows.
func WaitLogs(t testing.TB, cli *client.Client, id, want string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		o, e := Logs(t, cli, id)
		if strings.Contains(o+e, want) {
			return o + e
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s never printed %q; output: %q", id, want, o+e)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
