package bench

import (
	"errors"
	"os"
	"strings"
)

const (
	beginMarker = "<!-- proxy:begin -->"
	endMarker   = "<!-- proxy:end -->"
)

// writeSection puts body between the proxy markers of the file at path,
// creating the file, or a "## Proxy" section at its end, when missing.
// Everything outside the markers is left as it is.
func writeSection(path, body string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.WriteFile(path, []byte(spliceSection(string(old), body)), 0o644)
}

func spliceSection(doc, body string) string {
	return spliceNamed(doc, beginMarker, endMarker, "Proxy", body)
}

// spliceNamed puts body between the begin and end markers of doc, or adds
// a "## heading" section holding them at its end.
func spliceNamed(doc, begin, end, heading, body string) string {
	block := begin + "\n" + strings.TrimSpace(body) + "\n" + end
	i := strings.Index(doc, begin)
	j := strings.Index(doc, end)
	if i >= 0 && j > i {
		return doc[:i] + block + doc[j+len(end):]
	}
	if strings.TrimSpace(doc) == "" {
		doc = "# Benchmarks\n"
	}
	return strings.TrimRight(doc, "\n") + "\n\n## " + heading + "\n\n" + block + "\n"
}
