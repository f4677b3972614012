package config

import (
	"regexp"
	"strings"
)

var documentedVariable = regexp.MustCompile("`([A-Z][A-Z0-9_]+)`")

// Documented lists the variables the README's per-service configuration
// table ("| service | variable | default | meaning |") documents for
// service, in order: what a service's config test checks it reads.
func Documented(readme []byte, service string) []string {
	var out []string
	for _, line := range strings.Split(string(readme), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 5 || !strings.Contains(cells[1], service) {
			continue
		}
		for _, m := range documentedVariable.FindAllStringSubmatch(cells[2], -1) {
			out = append(out, m[1])
		}
	}
	return out
}
