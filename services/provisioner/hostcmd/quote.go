// Package hostcmd builds the commands the provisioner runs on the Docker
// host. SSH carries one command line, which the remote login shell parses, so
// every command is built from a fixed argument list and every argument is
// single-quoted: nothing a caller passes can become shell syntax.
package hostcmd

import (
	"errors"
	"strings"
)

// ErrNUL is returned for an argument holding a NUL byte, which no shell
// command line can carry.
var ErrNUL = errors.New("argument contains a NUL byte")

// Quote returns s as one POSIX shell word: wrapped in single quotes, inside
// which the shell gives no character a special meaning. A single quote in s
// closes the quoted part, is escaped, and reopens it:
//
//	it's  →  'it'\''s'
//
// The empty string becomes a pair of quotes.
func Quote(s string) (string, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return "", ErrNUL
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'", nil
}

// Join quotes each argument and joins them with spaces: the command line
// that makes a POSIX shell run exactly argv.
func Join(argv []string) (string, error) {
	if len(argv) == 0 {
		return "", errors.New("empty command")
	}
	words := make([]string, len(argv))
	for i, a := range argv {
		q, err := Quote(a)
		if err != nil {
			return "", err
		}
		words[i] = q
	}
	return strings.Join(words, " "), nil
}
