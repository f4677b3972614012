package policy

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/dockeronline/platform/pkg/apierr"
)

// rewriteDockerfile returns dockerfile with the RUN instructions of
// rewrites (by first line) written again with their new flags, and the
// syntax directive (0-based line, -1: none) set aside. Every other line
// keeps its number, so the builder's messages still point at the user's
// lines. The result is parsed again and must read as the original but for
// those flags; anything else refuses the build (the judge never builds a
// text it did not read).
func rewriteDockerfile(dockerfile []byte, res *parser.Result, runs map[int]*parser.Node, rewrites map[int][]string, syntaxLine int) ([]byte, error) {
	lines := strings.SplitAfter(string(dockerfile), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	out := make([]string, 0, len(lines))
	for i := 0; i < len(lines); i++ {
		ln := i + 1 // the parser counts from 1
		if flags, ok := rewrites[ln]; ok {
			n := runs[ln]
			last := n.EndLine - heredocLines(n)
			if last < ln || n.EndLine > len(lines) {
				return nil, errRewrite()
			}
			text, err := runLine(n, flags, res.EscapeToken)
			if err != nil {
				return nil, err
			}
			out = append(out, text)
			out = append(out, lines[last:n.EndLine]...) // heredoc bodies
			for range last - ln {
				out = append(out, "\n")
			}
			i = n.EndLine - 1
			continue
		}
		out = append(out, lines[i])
	}
	if syntaxLine >= 0 {
		var err error
		if out, err = dropDirective(out, syntaxLine); err != nil {
			return nil, err
		}
	}
	text := []byte(strings.Join(out, ""))
	if err := sameReading(res, text, rewrites); err != nil {
		return nil, err
	}
	return text, nil
}

func errRewrite() error {
	return rule(apierr.CodeInvalid, RuleDockerfile, "a RUN instruction with cache mounts could not be scoped to your builds; write it on its own lines")
}

// heredocLines counts the lines of n's heredoc bodies and terminators.
func heredocLines(n *parser.Node) int {
	c := 0
	for _, h := range n.Heredocs {
		c += strings.Count(h.Content, "\n") + 1
	}
	return c
}

// runLine is RUN with flags and n's command, on one line. A flag word is
// quoted so the parser's flag reader gives it back as it is.
func runLine(n *parser.Node, flags []string, escape rune) (string, error) {
	var b strings.Builder
	b.WriteString("RUN")
	for _, f := range flags {
		b.WriteString(" --\"")
		for _, r := range f[2:] {
			if r == '"' || r == escape {
				b.WriteRune(escape)
			}
			b.WriteRune(r)
		}
		b.WriteString("\"")
	}
	args, err := command(n)
	if err != nil {
		return "", err
	}
	b.WriteString(" ")
	b.WriteString(args)
	b.WriteString("\n")
	return b.String(), nil
}

// command is n's command as written: the shell form's text, or the exec
// form's JSON array.
func command(n *parser.Node) (string, error) {
	if n.Next == nil {
		return "", errRewrite()
	}
	if !n.Attributes["json"] {
		return n.Next.Value, nil
	}
	var words []string
	for w := n.Next; w != nil; w = w.Next {
		words = append(words, w.Value)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(words); err != nil {
		return "", errRewrite()
	}
	return strings.TrimSpace(buf.String()), nil
}

// dropDirective removes the directive on line i (0-based) and ends the
// directive block with an empty line where the directive lines after it
// end: the directives keep their order and the instructions their lines.
func dropDirective(lines []string, i int) ([]string, error) {
	if i >= len(lines) {
		return nil, rule(apierr.CodeInvalid, RuleDockerfile, "the syntax directive could not be set aside")
	}
	end := i + 1
	for end < len(lines) && reDirective.MatchString(strings.TrimLeft(strings.TrimRight(lines[end], "\r\n"), " \t")) {
		end++
	}
	out := slices.Clone(lines[:i])
	out = append(out, lines[i+1:end]...)
	out = append(out, "\n")
	return append(out, lines[end:]...), nil
}

// sameReading parses text and requires it to read as res: the same escape
// token and instructions, but for the flags of the rewritten RUNs.
func sameReading(res *parser.Result, text []byte, rewrites map[int][]string) error {
	got, err := parser.Parse(bytes.NewReader(text))
	if err != nil || got.EscapeToken != res.EscapeToken || len(got.AST.Children) != len(res.AST.Children) {
		return errRewrite()
	}
	for i, want := range res.AST.Children {
		n := got.AST.Children[i]
		flags, rewritten := rewrites[want.StartLine]
		if !rewritten {
			flags = want.Flags
		}
		if n.StartLine != want.StartLine || !strings.EqualFold(n.Value, want.Value) || !slices.Equal(n.Flags, flags) ||
			!sameWords(n.Next, want.Next) || !maps.Equal(n.Attributes, want.Attributes) || !slices.Equal(n.Heredocs, want.Heredocs) ||
			!rewritten && n.Original != want.Original {
			return errRewrite()
		}
	}
	return nil
}

// sameWords compares two instructions' arguments, recursively (ONBUILD
// holds an instruction).
func sameWords(a, b *parser.Node) bool {
	for ; a != nil && b != nil; a, b = a.Next, b.Next {
		if a.Value != b.Value || !slices.Equal(a.Flags, b.Flags) || len(a.Children) != len(b.Children) {
			return false
		}
		for i := range a.Children {
			if !sameWords(a.Children[i], b.Children[i]) {
				return false
			}
		}
	}
	return a == nil && b == nil
}
