package routes

import (
	"slices"
	"strings"
	"testing"
)

func TestParseHost(t *testing.T) {
	good := []struct{ host, label, hostname string }{
		{"web--alice.apps.localhost", "web--alice", "web--alice.apps.localhost"},
		{"web--alice.apps.localhost:8000", "web--alice", "web--alice.apps.localhost"},
		{"WEB--Alice.APPS.localhost:8000", "web--alice", "web--alice.apps.localhost"},
		{"web--alice.apps.localhost.", "web--alice", "web--alice.apps.localhost"},
		{"web-8080--alice.apps.localhost", "web-8080--alice", "web-8080--alice.apps.localhost"},
		{"my-app-2--bob-smith.apps.localhost", "my-app-2--bob-smith", "my-app-2--bob-smith.apps.localhost"},
		{"a--bob.apps.localhost", "a--bob", "a--bob.apps.localhost"},
		{"web--admin.apps.localhost", "web--admin", "web--admin.apps.localhost"}, // reserved, still a name
		{"web-0--alice.apps.localhost", "web-0--alice", ""},                      // a container named "web-0"
		{strings.Repeat("a", 24) + "-80--alice.apps.localhost", strings.Repeat("a", 24) + "-80--alice", ""},
		{strings.Repeat("a", 24) + "-65535--" + "u" + strings.Repeat("b", 30) + ".apps.localhost",
			strings.Repeat("a", 24) + "-65535--u" + strings.Repeat("b", 30), ""},
	}
	for _, tc := range good {
		label, hostname, err := ParseHost(tc.host, testDomain)
		if err != nil {
			t.Errorf("ParseHost(%q): %v", tc.host, err)
			continue
		}
		if label != tc.label || (tc.hostname != "" && hostname != tc.hostname) {
			t.Errorf("ParseHost(%q) = %q, %q; want %q, %q", tc.host, label, hostname, tc.label, tc.hostname)
		}
	}
	bad := []string{
		"", "apps.localhost", ".apps.localhost", "localhost", "evil.com",
		"web--alice.apps.localhost.evil.com", "a.web--alice.apps.localhost", "web--alice.xapps.localhost",
		"webalice.apps.localhost", "web---alice.apps.localhost", "web--alice--x.apps.localhost",
		"-web--alice.apps.localhost", "web---alice.apps.localhost", "web--al.apps.localhost",
		"web--alice-.apps.localhost", "web_1--alice.apps.localhost", "web--1alice.apps.localhost",
		// Past 24 bytes the part before "--" must be "<name>-<port>".
		strings.Repeat("a", 24) + "-0--alice.apps.localhost", strings.Repeat("a", 24) + "-65536--alice.apps.localhost",
		strings.Repeat("a", 24) + "-08080--alice.apps.localhost", strings.Repeat("a", 24) + "-80x--alice.apps.localhost",
		"--alice.apps.localhost", "web--.apps.localhost", "[::1]:80", "::1", "127.0.0.1:8000",
		"web--alice.apps.localhost:8000:1", "wéb--alice.apps.localhost", "web--alice.apps.localhost..",
		strings.Repeat("a", 25) + "--alice.apps.localhost",
		strings.Repeat("a", 24) + "-65535--" + "u" + strings.Repeat("b", 31) + ".apps.localhost",
	}
	for _, h := range bad {
		if label, _, err := ParseHost(h, testDomain); err == nil {
			t.Errorf("ParseHost(%q) accepted, label %q", h, label)
		}
	}
}

func TestLabels(t *testing.T) {
	if got := Labels("web", "alice", nil); got != nil {
		t.Fatalf("no ports: %v", got)
	}
	if got := Labels("web", "alice", []int{80}); !slices.Equal(got, []string{"web--alice"}) {
		t.Fatalf("one port: %v", got)
	}
	got := Labels("web", "alice", []int{80, 8080})
	if want := []string{"web--alice", "web-80--alice", "web-8080--alice"}; !slices.Equal(got, want) {
		t.Fatalf("two ports: %v, want %v", got, want)
	}
	for _, l := range got {
		if err := ValidLabel(l); err != nil {
			t.Fatalf("label %q does not parse back: %v", l, err)
		}
	}
}

func FuzzParseHost(f *testing.F) {
	for _, s := range []string{"web--alice.apps.localhost:8000", "web-80--bob.apps.localhost", "x", "[::1]:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		label, hostname, err := ParseHost(host, testDomain)
		if err != nil {
			return
		}
		if hostname != label+"."+testDomain || ValidLabel(label) != nil || strings.ContainsAny(label, ".:/ ") {
			t.Fatalf("ParseHost(%q) = %q, %q", host, label, hostname)
		}
	})
}
