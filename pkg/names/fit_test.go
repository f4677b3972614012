package names

import (
	"strconv"
	"strings"
	"testing"
)

func TestFit(t *testing.T) {
	tests := []struct {
		in     string
		same   bool   // kept as it is
		prefix string // else: starts with this readable part
	}{
		{in: "web", same: true},
		{in: "shop-web", same: true},
		{in: strings.Repeat("a", ObjectMax), same: true},
		{in: "wordpress-mysql-wordpress", prefix: "wordpress-mysql-"},
		{in: "nextcloud-postgres-default", prefix: "nextcloud-postg-"},
		{in: "db_1", prefix: "db-1-"},
		{in: "My.Service", prefix: "my-service-"},
		{in: "a__b", prefix: "a-b-"},
		{in: "-lead", prefix: "lead-"},
		{in: "trail_", prefix: "trail-"},
		{in: "___", prefix: ""},
		{in: "ünïcode", prefix: "n-code-"},
		{in: strings.Repeat("x-", 40), prefix: "x-x-x-x-x-x-x-x-"},
		{in: "", prefix: ""},
	}
	for _, tt := range tests {
		got := Fit(tt.in)
		if err := ValidateObject("object", got); err != nil {
			t.Errorf("Fit(%q) = %q, invalid: %v", tt.in, got, err)
		}
		if got != Fit(tt.in) {
			t.Errorf("Fit(%q) is not deterministic", tt.in)
		}
		switch {
		case tt.same && got != tt.in:
			t.Errorf("Fit(%q) = %q, want it kept", tt.in, got)
		case !tt.same && (got == tt.in || !strings.HasPrefix(got, tt.prefix)):
			t.Errorf("Fit(%q) = %q, want a shortened name starting %q", tt.in, got, tt.prefix)
		}
		// The longest web link label stays one DNS label.
		if l := len(got + "-65535" + Separator + strings.Repeat("u", UsernameMax)); l > 63 {
			t.Errorf("Fit(%q) = %q makes a %d-byte link label", tt.in, got, l)
		}
	}
}

// TestFitNeverCollides: names differing only where Clean folds them, or
// past the kept prefix, or in length, fit to different names; and a kept
// name never equals another name's shortened form.
func TestFitNeverCollides(t *testing.T) {
	long := "wordpress-mysql-" + strings.Repeat("w", 20)
	groups := [][]string{
		{"db_1", "db-1", "db.1", "DB-1", "db__1", "db--1", "db-1-", "-db-1"},
		{long + "a", long + "b", long + "aa", long, long + "-a", long + "_a"},
		{"nextcloud-postgres-default", "nextcloud-postgres-defaults", "nextcloud-postgres-defaulT"},
	}
	seen := map[string]string{}
	for _, g := range groups {
		for _, in := range g {
			got := Fit(in)
			if prev, ok := seen[got]; ok && prev != in {
				t.Errorf("%q and %q both fit to %q", prev, in, got)
			}
			seen[got] = in
		}
	}
	// Many generated long names: none meet.
	for i := range 20000 {
		in := "stack-with-a-long-name-" + strings.Repeat("s", i%7) + "-" + strconv.Itoa(i)
		got := Fit(in)
		if prev, ok := seen[got]; ok && prev != in {
			t.Fatalf("%q and %q both fit to %q", prev, in, got)
		}
		seen[got] = in
	}
}
