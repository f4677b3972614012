package main

import (
	"bufio"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// result is one line of `go test -bench` output: a benchmark's name
// (without the -GOMAXPROCS suffix), its iterations and every "value unit"
// pair (ns/op and what the benchmark reported with ReportMetric).
type result struct {
	Name    string
	N       int
	Metrics map[string]float64
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.+)$`)

// parse reads every result line of out, in order; other lines (logs,
// PASS, ok) are skipped.
func parse(out io.Reader) ([]result, error) {
	var rs []result
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		r := result{Name: m[1], N: n, Metrics: map[string]float64{}}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			r.Metrics[f[i+1]] = v
		}
		rs = append(rs, r)
	}
	return rs, sc.Err()
}

// runs returns the results named name, in the order they ran (one per
// -count).
func runs(rs []result, name string) []result {
	var out []result
	for _, r := range rs {
		if r.Name == name {
			out = append(out, r)
		}
	}
	return out
}
