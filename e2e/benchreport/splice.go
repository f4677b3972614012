package main

import "strings"

// splice puts body between <!-- name:begin --> and <!-- name:end --> in
// doc and leaves everything else as it is. A missing section is added: the
// header right under the title, any other one (with its heading) before
// the heading named before, else at the end.
func splice(doc, name, heading, before, body string) string {
	begin, end := "<!-- "+name+":begin -->", "<!-- "+name+":end -->"
	block := begin + "\n" + strings.TrimSpace(body) + "\n" + end
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i >= 0 && j > i {
		return doc[:i] + block + doc[j+len(end):]
	}
	if strings.TrimSpace(doc) == "" {
		doc = "# Benchmarks\n"
	}
	if heading != "" {
		block = "## " + heading + "\n\n" + block
	}
	if heading == "" && strings.HasPrefix(doc, "# ") {
		// Under the title line.
		k := strings.Index(doc, "\n")
		if k < 0 {
			k = len(doc)
		}
		return doc[:k] + "\n\n" + block + "\n\n" + strings.TrimLeft(doc[k:], "\n")
	}
	if before != "" {
		if k := strings.Index(doc, "## "+before); k >= 0 {
			return doc[:k] + block + "\n\n" + doc[k:]
		}
	}
	return strings.TrimRight(doc, "\n") + "\n\n" + block + "\n"
}
