package harness

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/dockeronline/platform/pkg/testenv"
)

// NATS is nats-server with JetStream on a fixed port and a store that
// survives restarts: a kill -9 and a restart bring back the same streams,
// consumers and buckets, as a supervisor restarting it would.
type NATS struct {
	*Proc
	Port        int
	MonitorPort int
	StoreDir    string
}

// StartNATS runs <root>/bin/nats-server (built by `make tools`), its store
// in a temporary directory, its log in logDir.
func StartNATS(t testing.TB, root, logDir string) *NATS {
	t.Helper()
	bin := filepath.Join(root, "bin", "nats-server")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("harness: %s missing: run `make tools`: %v", bin, err)
	}
	n := &NATS{Port: testenv.FreePort(t), MonitorPort: testenv.FreePort(t), StoreDir: t.TempDir()}
	n.Proc = &Proc{
		Name: "nats", Path: bin,
		Args: []string{"-js", "-sd", n.StoreDir, "-a", "127.0.0.1", "-p", strconv.Itoa(n.Port),
			"-m", strconv.Itoa(n.MonitorPort), "-n", "faults"},
		Env:     []string{"PATH=" + os.Getenv("PATH")},
		LogFile: filepath.Join(logDir, "nats.log"),
		Ready: func(ctx context.Context) error {
			return httpOK(ctx, fmt.Sprintf("http://127.0.0.1:%d/healthz", n.MonitorPort))
		},
	}
	n.Start(t)
	t.Cleanup(func() { n.Stop(syscall.SIGTERM, 10*time.Second) })
	return n
}

// URL is the client URL.
func (n *NATS) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.Port) }

// httpOK reports whether url answers 200.
func httpOK(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b := make([]byte, 512)
		k, _ := res.Body.Read(b)
		return fmt.Errorf("%s: %d %s", url, res.StatusCode, b[:k])
	}
	return nil
}
