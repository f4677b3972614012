package main

import (
	"fmt"
	"strings"
)

// headerSection says where and when every number on the page was measured
// and how to measure them again.
func headerSection(when, elapsed string, m machine, loadBefore, loadAfter, command string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Every number on this page comes from one run of `%s` (`scripts/bench.sh`) on %s, which took %s.\n\n", command, when, elapsed)
	fmt.Fprintf(&b, "- **Machine**: %s.\n", m)
	fmt.Fprintf(&b, "- **Load average** (1 min) before the run: %s, after: %s. The machine is shared, so compare the rows of one run, not runs.\n\n", loadBefore, loadAfter)
	b.WriteString("Reproduce (needs Docker; `make deps tools` first installs Debian's wrk, nginx, busybox-static and Postgres and builds Kratos and NATS):\n\n")
	fmt.Fprintf(&b, "```\n%s\n```\n", command)
	return b.String()
}
