package config

import (
	"reflect"
	"testing"
	"time"
)

func TestEnv(t *testing.T) {
	e := FromMap(map[string]string{"A": "x", "N": "7", "D": "2s", "B": "true", "EMPTY": ""})
	if got := e.String("A", "d"); got != "x" {
		t.Errorf("String = %q", got)
	}
	if got := e.String("EMPTY", "d"); got != "d" {
		t.Errorf("empty value must give default, got %q", got)
	}
	if got := e.Int("N", 1); got != 7 {
		t.Errorf("Int = %d", got)
	}
	if got := e.Duration("D", 0); got != 2*time.Second {
		t.Errorf("Duration = %v", got)
	}
	if !e.Bool("B", false) {
		t.Error("Bool")
	}
	if e.Err() != nil {
		t.Fatalf("unexpected error %v", e.Err())
	}
}

func TestMalformedIsAnError(t *testing.T) {
	tests := []struct {
		name string
		read func(*Env)
	}{
		{"int", func(e *Env) { e.Int("V", 1) }},
		{"float", func(e *Env) { e.Float("V", 1) }},
		{"bool", func(e *Env) { e.Bool("V", false) }},
		{"duration", func(e *Env) { e.Duration("V", time.Second) }},
	}
	for _, tt := range tests {
		e := FromMap(map[string]string{"V": "not-a-value"})
		tt.read(e)
		if e.Err() == nil {
			t.Errorf("%s: malformed value accepted", tt.name)
		}
	}
}

func TestList(t *testing.T) {
	cases := []struct {
		name, value string
		set         bool
		def         string
		want        []string
	}{
		{name: "unset takes the default", def: "/etc/passwd,/etc/group", want: []string{"/etc/passwd", "/etc/group"}},
		{name: "items trimmed, empties dropped", value: " a, b,,c ,", set: true, want: []string{"a", "b", "c"}},
		{name: "empty value takes the default, as String", value: "", set: true, def: "x", want: []string{"x"}},
		{name: "unset, empty default", want: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := map[string]string{}
			if tc.set {
				m["K"] = tc.value
			}
			got := FromMap(m).List("K", tc.def)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("List = %q, want %q", got, tc.want)
			}
		})
	}
}
