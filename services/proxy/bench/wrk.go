package bench

import (
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// wrkResult is what one wrk run measured.
type wrkResult struct {
	RPS      float64
	P50, P99 time.Duration
	Errors   string // socket errors and non-2xx answers, if any
}

var (
	reRPS    = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	reP      = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s|m)\s*$`)
	reErrors = regexp.MustCompile(`(?m)^\s+(Socket errors:.*|Non-2xx or 3xx responses:.*)$`)
)

// runWrk runs Debian's wrk against url with host as the Host header.
func runWrk(tb testing.TB, url, host string, d time.Duration, conns int) wrkResult {
	tb.Helper()
	args := []string{"-t2", "-c" + strconv.Itoa(conns), "-d" + strconv.Itoa(int(d.Seconds())) + "s", "--latency", "--timeout", "5s"}
	if host != "" {
		args = append(args, "-H", "Host: "+host)
	}
	args = append(args, url)
	out, err := exec.Command("wrk", args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("wrk %s (apt-get install wrk): %v\n%s", url, err, out)
	}
	return parseWrk(tb, string(out))
}

func parseWrk(tb testing.TB, out string) wrkResult {
	tb.Helper()
	var r wrkResult
	m := reRPS.FindStringSubmatch(out)
	if m == nil {
		tb.Fatalf("wrk output without Requests/sec:\n%s", out)
	}
	r.RPS, _ = strconv.ParseFloat(m[1], 64)
	for _, m := range reP.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "m": time.Minute}[m[3]]
		d := time.Duration(v * float64(unit))
		if m[1] == "50" {
			r.P50 = d
		} else {
			r.P99 = d
		}
	}
	var errs []string
	for _, m := range reErrors.FindAllStringSubmatch(out, -1) {
		errs = append(errs, strings.TrimSpace(m[1]))
	}
	r.Errors = strings.Join(errs, "; ")
	return r
}

func waitListening(addr string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
}
