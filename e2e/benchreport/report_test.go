package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
BenchmarkContainerCreate/platform-2         	      1	 822525427 ns/op	20 samples	    763470 p50-µs	   1114172 p99-µs
BenchmarkContainerCreate/docker-2           	      20	 562785097 ns/op	    495580 p50-µs	    807450 p99-µs
BenchmarkBusRoundTrip/bus-2         	   33586	     71987 ns/op	        53.00 p50-µs	       250.0 p99-µs
BenchmarkBusRoundTrip/bare-2        	   49978	     50747 ns/op	        38.00 p50-µs	       106.0 p99-µs
BenchmarkContainerList/cached-2         	       1	    486098 ns/op	     14080 p50-µs	     80470 p99-µs	      2057 req/s	1000 requests	0 failed
BenchmarkContainerList/uncached-2       	       1	   3502259 ns/op	    107380 p50-µs	    240240 p99-µs	       285.5 req/s	1000 requests	0 failed
    some log line
PASS
`

const terminal = `BenchmarkTerminalEcho/platform-2         	    5000	    429373 ns/op	       294.0 p50-µs	      3200 p99-µs
BenchmarkTerminalEcho/docker-exec-2      	    5000	    111657 ns/op	        87.00 p50-µs	       393.0 p99-µs
BenchmarkTerminalEcho/platform-2         	    5000	    463218 ns/op	       309.0 p50-µs	      2900 p99-µs
BenchmarkTerminalEcho/docker-exec-2      	    5000	     99284 ns/op	        73.00 p50-µs	       275.0 p99-µs
`

func TestParse(t *testing.T) {
	rs, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 6 {
		t.Fatalf("%d results", len(rs))
	}
	r := rs[5]
	if r.Name != "BenchmarkContainerList/uncached" || r.N != 1 || r.Metrics["req/s"] != 285.5 || r.Metrics["p50-µs"] != 107380 {
		t.Errorf("%+v", r)
	}
}

func TestSections(t *testing.T) {
	rs, _ := parse(strings.NewReader(sample))
	m := machine{CPU: "AMD EPYC", Cores: 2, Go: "go1.26.8", Docker: "20.10"}
	body, err := platformSection(platformInput{Results: rs, Date: "2026-11-28", Machine: m, Commands: []string{"go test ./e2e"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| 822 525 427 |", "**1.46×**", "**1.42×**", "| 2 057 |", "7.2×", "p99 is the slowest one", "Create + start: the platform adds 267.9 ms at the median; with fewer than 100 samples", "1.22 |", "| 1 × 20 |", "| 0 of 1 000 |"} {
		if !strings.Contains(body, want) {
			t.Errorf("platform section lacks %q:\n%s", want, body)
		}
	}
	ts, _ := parse(strings.NewReader(terminal))
	body, err = terminalSection(ts, "2026-11-28", m, "go test ./e2e -bench BenchmarkTerminalEcho")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| platform (2 runs) | 429 373 / 463 218 | 294 / 309 µs | 3.2 / 2.9 ms |", "about 0.21–0.24 ms", "far below"} {
		if !strings.Contains(body, want) {
			t.Errorf("terminal section lacks %q:\n%s", want, body)
		}
	}
	if _, err := platformSection(platformInput{Results: rs[:2]}); err == nil {
		t.Error("missing results were not an error")
	}
}

func TestSplice(t *testing.T) {
	doc := "# Benchmarks\n\n## Proxy\n\n<!-- proxy:begin -->\nP\n<!-- proxy:end -->\n"
	doc = splice(doc, "header", "", "", "H")
	doc = splice(doc, "platform", "Platform", "Proxy", "X")
	doc = splice(doc, "terminal", "Terminal", "", "T")
	want := "# Benchmarks\n\n<!-- header:begin -->\nH\n<!-- header:end -->\n\n## Platform\n\n<!-- platform:begin -->\nX\n<!-- platform:end -->\n\n## Proxy\n\n<!-- proxy:begin -->\nP\n<!-- proxy:end -->\n\n## Terminal\n\n<!-- terminal:begin -->\nT\n<!-- terminal:end -->\n"
	if doc != want {
		t.Fatalf("got\n%s\nwant\n%s", doc, want)
	}
	// Again: only the text between the markers changes.
	if again := splice(doc, "platform", "Platform", "Proxy", "Y"); again != strings.Replace(want, "\nX\n", "\nY\n", 1) {
		t.Fatalf("second splice:\n%s", again)
	}
}
