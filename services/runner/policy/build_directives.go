package policy

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"
	"unicode"

	"github.com/dockeronline/platform/pkg/apierr"
)

// Docker 20.10's parser knows fewer parser directives than BuildKit's
// today: only "escape" and "syntax" ("check" is new). A directive line it
// does not know ends the directives, so an escape directive after it is a
// comment there (checked on the engine: "# check=…" then "# escape=`"
// leaves the escape at \). With another escape token the two parsers
// split lines differently (` continues a line for one, not the other),
// and the engine would run instructions this policy never saw.
var (
	reDirective     = regexp.MustCompile(`^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`)
	oldDirectiveSet = map[string]bool{"escape": true, "syntax": true}
)

// sameEscape refuses a Dockerfile whose escape token, as BuildKit read it
// (parsed), is not the one Docker 20.10 reads.
func sameEscape(dockerfile []byte, parsed rune) error {
	if oldEscape(dockerfile) != parsed {
		return rule(apierr.CodeInvalid, RuleDockerfile, "the escape directive must come before any directive other than syntax (Docker 20.10 does not read it after one)")
	}
	return nil
}

// oldEscape reads the leading directive lines as Docker 20.10's parser
// does.
func oldEscape(dockerfile []byte) rune {
	escape := '\\'
	sc := bufio.NewScanner(bytes.NewReader(dockerfile))
	sc.Buffer(make([]byte, 0, 64<<10), len(dockerfile)+1)
	for first := true; sc.Scan(); first = false {
		line := sc.Bytes()
		if first {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		l := string(bytes.TrimLeftFunc(line, unicode.IsSpace))
		m := reDirective.FindStringSubmatch(l)
		if m == nil || !oldDirectiveSet[strings.ToLower(m[1])] {
			return escape
		}
		if strings.ToLower(m[1]) == "escape" && len(m[2]) == 1 {
			escape = rune(m[2][0])
		}
	}
	return escape
}
