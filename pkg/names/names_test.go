package names

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateUsername(t *testing.T) {
	tests := []struct {
		in   string
		rule string // "" means valid
	}{
		{"alice", ""},
		{"bob-2", ""},
		{"abc", ""},
		{strings.Repeat("a", 31), ""},
		{"ab", "username-length"},
		{strings.Repeat("a", 32), "username-length"},
		{"Alice", "username-charset"},
		{"1alice", "username-charset"},
		{"-alice", "username-charset"},
		{"al_ice", "name-charset"},
		{"alice-", "name-charset"},
		{"al--ice", "name-separator"},
		{"a;id", "name-charset"},
		{"$(id)", "username-charset"},
		{"ali\nce", "name-charset"},
		{"root", "username-reserved"},
		{"admin", "username-reserved"},
		{"docker", "username-reserved"},
		{"ålice", "username-charset"},
	}
	for _, tt := range tests {
		err := ValidateUsername(tt.in)
		assertRule(t, tt.in, err, tt.rule)
	}
}

func TestValidateObject(t *testing.T) {
	tests := []struct {
		in   string
		rule string
	}{
		{"web", ""},
		{"0db", ""},
		{"my-app-1", ""},
		{"", "name-required"},
		{strings.Repeat("a", 25), "name-length"},
		{"Web", "name-charset"},
		{"-web", "name-charset"},
		{"web-", "name-charset"},
		{"we--b", "name-separator"},
		{"../etc", "name-charset"},
		{"a/b", "name-charset"},
		{"a b", "name-charset"},
	}
	for _, tt := range tests {
		assertRule(t, tt.in, ValidateObject("container", tt.in), tt.rule)
	}
}

func assertRule(t *testing.T, in string, err error, rule string) {
	t.Helper()
	if rule == "" {
		if err != nil {
			t.Errorf("%q: unexpected error %v", in, err)
		}
		return
	}
	var ne *Error
	if !errors.As(err, &ne) {
		t.Errorf("%q: got %v, want rule %s", in, err, rule)
		return
	}
	if ne.Rule != rule {
		t.Errorf("%q: rule %s, want %s (%s)", in, ne.Rule, rule, ne.Message)
	}
}

func TestDockerRoundTrip(t *testing.T) {
	u, n, ok := SplitDocker("/alice--web")
	if !ok || u != "alice" || n != "web" {
		t.Fatalf("SplitDocker: %q %q %v", u, n, ok)
	}
	if Docker("alice", "web") != "alice--web" {
		t.Fatal("Docker name")
	}
	if _, _, ok := SplitDocker("plain"); ok {
		t.Fatal("plain name must not split")
	}
}

func FuzzValidateObject(f *testing.F) {
	for _, s := range []string{"web", "a--b", "../x", "A", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateObject("container", s) != nil {
			return
		}
		// A valid name is always a safe DNS label fragment and path segment.
		if len(s) > ObjectMax || strings.ContainsAny(s, "/.\\ \n\x00") || strings.Contains(s, Separator) {
			t.Fatalf("accepted unsafe name %q", s)
		}
	})
}
