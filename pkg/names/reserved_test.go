package names

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReservedUsernames(t *testing.T) {
	tests := []struct {
		name string
		why  string // "" means allowed
	}{
		{"library", whyHub},
		{"docker", whyHub}, // also a group on Docker hosts
		{"moby", whyHub},
		{"registry", whyHub},
		{"official", whyHub},
		{"index", whyHub},
		{"hub", whyHub},
		{"scratch", whyHub},
		{"localhost", whyRegistry},
		{"root", whySystem},
		{"www-data", whySystem},
		{"systemd-network", whySystem},
		{"systemd-anything", whySystem},
		{"nobody", whySystem},
		{"postgres", whySystem},
		{"dockremap", whySystem},
		{"gateway", whyPlatform},
		{"alice", ""},
		{"libraryx", ""},
		{"dockerfan", ""},
	}
	for _, tt := range tests {
		if got := Reserved(tt.name); got != tt.why {
			t.Errorf("Reserved(%q) = %q, want %q", tt.name, got, tt.why)
		}
		err := ValidateUsername(tt.name)
		if tt.why == "" {
			assertRule(t, tt.name, err, "")
		} else {
			assertRule(t, tt.name, err, "username-reserved")
		}
	}
}

// The host's own accounts are refused once read, here from this machine's
// /etc/passwd and /etc/group and from a file with a made-up account.
func TestReserveAccountsFrom(t *testing.T) {
	extra := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(extra, []byte("# comment\nzz-svc-acct:x:990:990::/nonexistent:/usr/sbin/nologin\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ValidateUsername("zz-svc-acct"); err != nil {
		t.Fatalf("before reading: %v", err)
	}
	n, err := ReserveAccountsFrom("/etc/passwd", "/etc/group", extra, filepath.Join(t.TempDir(), "missing"))
	if err != nil || n == 0 {
		t.Fatalf("read %d names: %v", n, err)
	}
	assertRule(t, "zz-svc-acct", ValidateUsername("zz-svc-acct"), "username-reserved")
	checked := 0
	for _, f := range []string{"/etc/passwd", "/etc/group"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			name, _, _ := strings.Cut(line, ":")
			if name == "" || strings.HasPrefix(name, "#") {
				continue
			}
			if err := ValidateUsername(name); err == nil {
				t.Errorf("host account %q (%s) is accepted as a username", name, f)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no host accounts checked")
	}
	assertRule(t, "alice", ValidateUsername("alice"), "")
}
