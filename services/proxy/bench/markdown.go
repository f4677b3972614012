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
	block := beginMarker + "\n" + strings.TrimSpace(body) + "\n" + endMarker
	i := strings.Index(doc, beginMarker)
	j := strings.Index(doc, endMarker)
	if i >= 0 && j > i {
		return doc[:i] + block + doc[j+len(endMarker):]
	}
	if strings.TrimSpace(doc) == "" {
		doc = "# Benchmarks\n"
	}
	return strings.TrimRight(doc, "\n") + "\n\n## Proxy\n\n" + block + "\n"
}
