package hostcmd

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// hostile holds arguments that would be shell syntax if they were not
// quoted, including the injection inputs named in the provisioning issue.
var hostile = []string{
	"", "plain", "a b", "a;id", "$(id)", "`id`", "-oProxyCommand=x", "a\nid", "a\rb",
	"it's", "'", "''", `\`, `\'`, `"`, `"$HOME"`, "${IFS}", "*", "?", "[a]", "~root",
	"a|b", "a&b", "a&&b", "a||b", "a>b", "a<b", "a>>b", "(a)", "{a,b}", "#comment", "!1",
	"\t", " ", "é", "\xff\xfe", strings.Repeat("x", 300),
}

func TestQuote(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", `''`},
		{"alice", `'alice'`},
		{"a;id", `'a;id'`},
		{"$(id)", `'$(id)'`},
		{"it's", `'it'\''s'`},
		{"-oProxyCommand=x", `'-oProxyCommand=x'`},
		{"a\nb", "'a\nb'"},
	}
	for _, tt := range tests {
		got, err := Quote(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Quote(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestQuoteRefusesNUL(t *testing.T) {
	if _, err := Quote("a\x00b"); !errors.Is(err, ErrNUL) {
		t.Fatalf("Quote with NUL: err = %v, want ErrNUL", err)
	}
	if _, err := Join([]string{"echo", "a\x00b"}); !errors.Is(err, ErrNUL) {
		t.Fatalf("Join with NUL: err = %v, want ErrNUL", err)
	}
	if _, err := Join(nil); err == nil {
		t.Fatal("Join(nil) succeeded, want an error")
	}
}

// shells are the login shells the remote side may use; each must parse a
// joined command back into exactly the argv it came from.
var shells = []string{"/bin/sh", "/bin/bash"}

func TestJoinRoundTripsThroughRealShells(t *testing.T) {
	for _, sh := range shells {
		t.Run(sh, func(t *testing.T) {
			for _, arg := range hostile {
				argv := []string{"before", arg, "after"}
				got := runThroughShell(t, sh, argv)
				if !equal(got, argv) {
					t.Errorf("%s parsed %q as %q", sh, argv, got)
				}
			}
		})
	}
}

// FuzzQuote checks, for any string, that the shell reads the quoted form
// back as that one argument. Each input runs a real /bin/sh, so the fuzzer
// is slow (it spends most of its time minimising new inputs, shown as
// "0/sec"); that is the price of the real parser as the oracle. Run it with:
//
//	go test -fuzz=FuzzQuote ./hostcmd
func FuzzQuote(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Quote(s)
		if strings.IndexByte(s, 0) >= 0 {
			if !errors.Is(err, ErrNUL) {
				t.Fatalf("Quote(%q) err = %v, want ErrNUL", s, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Quote(%q): %v", s, err)
		}
		if !strings.HasPrefix(q, "'") || !strings.HasSuffix(q, "'") {
			t.Fatalf("Quote(%q) = %q is not single-quoted", s, q)
		}
		got := runThroughShell(t, "/bin/sh", []string{s})
		if len(got) != 1 || got[0] != s {
			t.Fatalf("sh read Quote(%q) = %q back as %q", s, q, got)
		}
	})
}

// runThroughShell makes sh parse the joined argv and print each word it
// got, NUL-terminated.
func runThroughShell(t *testing.T, sh string, argv []string) []string {
	t.Helper()
	line, err := Join(argv)
	if err != nil {
		t.Fatalf("Join(%q): %v", argv, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, sh, "-c", `printf '%s\0' `+line).Output()
	if err != nil {
		t.Fatalf("%s -c %q: %v", sh, line, err)
	}
	words := strings.Split(string(bytes.TrimSuffix(out, []byte{0})), "\x00")
	return words
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
