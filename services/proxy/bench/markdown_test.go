package bench

import (
	"strings"
	"testing"
)

func TestSpliceSection(t *testing.T) {
	fresh := spliceSection("", "numbers v1")
	if !strings.HasPrefix(fresh, "# Benchmarks\n\n## Proxy\n\n"+beginMarker+"\nnumbers v1\n"+endMarker) {
		t.Fatalf("fresh file:\n%s", fresh)
	}
	doc := "# Benchmarks\n\n## Gateway\n\ng\n\n## Proxy\n\n" + beginMarker + "\nold\n" + endMarker + "\n\n## Runner\n\nr\n"
	got := spliceSection(doc, "new")
	if want := strings.Replace(doc, "\nold\n", "\nnew\n", 1); got != want {
		t.Fatalf("splice:\n%s\nwant:\n%s", got, want)
	}
	other := spliceSection("# Benchmarks\n\n## Gateway\n\ng\n", "p")
	if !strings.Contains(other, "## Gateway\n\ng\n\n## Proxy\n\n"+beginMarker+"\np\n"+endMarker) {
		t.Fatalf("append:\n%s", other)
	}
}

func TestParseWrk(t *testing.T) {
	out := `Running 5s test @ http://127.0.0.1:8000/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.51ms    2.10ms  40.00ms   90.00%
    Req/Sec    12.00k     1.00k   14.00k    70.00%
  Latency Distribution
     50%  850.00us
     75%    1.50ms
     90%    3.00ms
     99%   10.23ms
  120000 requests in 5.00s, 80.00MB read
  Socket errors: connect 0, read 12, write 0, timeout 0
Requests/sec:  24000.50
Transfer/sec:     16.00MB
`
	r := parseWrk(t, out)
	if r.RPS != 24000.5 || r.P50.Microseconds() != 850 || r.P99.Microseconds() != 10230 || !strings.Contains(r.Errors, "read 12") {
		t.Fatalf("%+v", r)
	}
}
