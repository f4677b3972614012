package main_test

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/testenv"
)

// TestMemoryLimitIsSet: the runner runs with a Go memory limit —
// RUNNER_MEMORY_LIMIT_MB, its default, or GOMEMLIMIT when set — as its
// own metrics report it (go_gc_gomemlimit_bytes).
func TestMemoryLimitIsSet(t *testing.T) {
	srv := natstest.Server(t)
	bin := buildRunner(t)
	db := testenv.Postgres(t)
	cases := []struct {
		name string
		env  []string
		want int64
	}{
		{name: "default", want: 1536 << 20},
		{name: "RUNNER_MEMORY_LIMIT_MB", env: []string{"RUNNER_MEMORY_LIMIT_MB=300"}, want: 300 << 20},
		{name: "GOMEMLIMIT wins", env: []string{"RUNNER_MEMORY_LIMIT_MB=300", "GOMEMLIMIT=200MiB"}, want: 200 << 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr := freeAddr(t)
			env := append([]string{"NATS_URL=" + srv.ClientURL(), "HTTP_ADDR=" + addr, "DATABASE_URL=" + db,
				"LOG_LEVEL=warn", "GOMEMLIMIT=", "RUNNER_MEMORY_LIMIT_MB="}, c.env...)
			startRunner(t, bin, env)
			if got := gauge(t, "http://"+addr+"/metrics", "go_gc_gomemlimit_bytes"); got != c.want {
				t.Fatalf("memory limit %d MB, want %d MB", got>>20, c.want>>20)
			}
		})
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// gauge scrapes url until it answers (up to a minute) and returns the
// value of metric.
func gauge(t *testing.T, url, metric string) int64 {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		res, err := c.Get(url)
		if err != nil {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			name, value, ok := strings.Cut(sc.Text(), " ")
			if ok && name == metric {
				f, err := strconv.ParseFloat(value, 64)
				if err != nil {
					t.Fatalf("%s: %v", metric, err)
				}
				return int64(f)
			}
		}
		t.Fatalf("%s has no %s", url, metric)
	}
	t.Fatalf("%s never answered", url)
	return 0
}
