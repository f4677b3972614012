package names

import (
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

// hashLen is how many base32 characters of a name's SHA-256 a shortened
// name keeps: 40 bits, so two different names a user's stacks derive do
// not meet by chance (a birthday collision needs about a million names).
const hashLen = 8

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Fit is a derived object name that passes ValidateObject: s itself when
// it already does; otherwise a readable prefix of s in the name alphabet
// and "-" and a hash of the whole of s, ObjectMax bytes at most. It is
// deterministic (a redeploy finds the same objects) and distinguishes
// names that differ anywhere, in case or punctuation too ("db_1" and
// "db-1" fit to different names; "db-1" is kept as it is).
//
// Derived container names stay within ObjectMax, so every web link label
// "<name>-<port>--<user>" stays within a 63-byte DNS label.
func Fit(s string) string {
	if ValidateObject("", s) == nil {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	h := lowerBase32.EncodeToString(sum[:])[:hashLen]
	prefix := Clean(s)
	if max := ObjectMax - hashLen - 1; len(prefix) > max {
		prefix = strings.TrimRight(prefix[:max], "-")
	}
	if prefix == "" {
		return h
	}
	return prefix + "-" + h
}

// Clean maps s to the name alphabet: lower case, every other byte a '-',
// runs of '-' folded to one (no Separator), none at either end. It may
// return "" and may map different names to the same one: Fit adds a hash.
func Clean(s string) string {
	var b strings.Builder
	dash := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if !isAlnum(c) {
			dash = b.Len() > 0
			continue
		}
		if dash {
			b.WriteByte('-')
			dash = false
		}
		b.WriteByte(c)
	}
	return b.String()
}
