// Command benchreport turns the output of `make bench`'s Go benchmarks
// into docs/BENCHMARKS.md: the header (machine, date, the command), the
// "Platform" section (e2e/bench_platform_test.go) and the "Terminal"
// section (e2e/bench_terminal_test.go). The "Proxy" section is written by
// its own benchmark (scripts/bench-proxy.sh). Only the text between a
// section's markers changes. scripts/bench.sh runs it last:
//
//	go run ./e2e/benchreport -doc docs/BENCHMARKS.md -platform platform.txt -terminal terminal.txt ...
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, "\n") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	var (
		doc           = flag.String("doc", "docs/BENCHMARKS.md", "the page to update")
		platformOut   = flag.String("platform", "", "go test -bench output of the platform benchmarks")
		terminalOut   = flag.String("terminal", "", "go test -bench output of BenchmarkTerminalEcho")
		terminalCmd   = flag.String("terminal-cmd", "", "the command that ran BenchmarkTerminalEcho")
		command       = flag.String("command", "make bench", "the command that reproduces the page")
		started       = flag.String("started", "", "when the run began (RFC 3339)")
		elapsed       = flag.String("elapsed", "", "how long the whole run took")
		loadBefore    = flag.String("load-before", "", "1-minute load average before the run")
		loadAfter     = flag.String("load-after", "", "1-minute load average after the run")
		platElapsed   = flag.String("platform-elapsed", "", "how long the platform benchmarks took")
		platLoadStart = flag.String("platform-load-before", "", "1-minute load average before the platform benchmarks")
		platLoadEnd   = flag.String("platform-load-after", "", "1-minute load average after the platform benchmarks")
		platformCmds  multi
	)
	flag.Var(&platformCmds, "platform-cmd", "a command that ran platform benchmarks (repeatable)")
	flag.Parse()
	if err := run(*doc, *platformOut, *terminalOut, *terminalCmd, *command, *started, *elapsed, *loadBefore, *loadAfter,
		platformInput{Commands: platformCmds, Elapsed: *platElapsed, LoadBefore: *platLoadStart, LoadAfter: *platLoadEnd}); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func run(doc, platformOut, terminalOut, terminalCmd, command, started, elapsed, loadBefore, loadAfter string, plat platformInput) error {
	when := time.Now().UTC()
	if started != "" {
		t, err := time.Parse(time.RFC3339, started)
		if err != nil {
			return fmt.Errorf("-started: %w", err)
		}
		when = t.UTC()
	}
	m := probe()
	date := when.Format("2006-01-02")

	platRes, err := parseFile(platformOut)
	if err != nil {
		return err
	}
	termRes, err := parseFile(terminalOut)
	if err != nil {
		return err
	}
	plat.Results, plat.Date, plat.Machine = platRes, date, m
	platBody, err := platformSection(plat)
	if err != nil {
		return err
	}
	termBody, err := terminalSection(termRes, date, m, terminalCmd)
	if err != nil {
		return err
	}
	head := headerSection(when.Format("2006-01-02 15:04 MST"), elapsed, m, loadBefore, loadAfter, command)

	old, err := os.ReadFile(doc)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	page := splice(string(old), "header", "", "", head)
	page = splice(page, "platform", "Platform", "Proxy", platBody)
	page = splice(page, "terminal", "Terminal", "", termBody)
	return os.WriteFile(doc, []byte(page), 0o644)
}

func parseFile(path string) ([]result, error) {
	if path == "" {
		return nil, fmt.Errorf("an output file is missing (-platform, -terminal)")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parse(f)
}
