package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestStackFormEnv: the variables' inputs are the request's env, an empty
// one left unset (the file's default or required message applies), and a
// KEY=VALUE line wins over an input.
func TestStackFormEnv(t *testing.T) {
	cases := []struct {
		name string
		form url.Values
		want map[string]string
		bad  bool
	}{
		{name: "inputs", form: url.Values{"var.TAG": {"1.2"}, "var.EMPTY": {""}, "compose": {"x"}}, want: map[string]string{"TAG": "1.2"}},
		{name: "a line wins", form: url.Values{"var.TAG": {"1.2"}, "env": {"TAG=2.0\nOTHER=x"}}, want: map[string]string{"TAG": "2.0", "OTHER": "x"}},
		{name: "none", form: url.Values{"name": {"s"}}, want: nil},
		{name: "a bad line", form: url.Values{"env": {"no equals"}}, bad: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/stacks", strings.NewReader(c.form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			got, err := formEnv(stackForm(r))
			if c.bad {
				if err == nil {
					t.Fatalf("got %v, want an error", got)
				}
				return
			}
			if err != nil || len(got) != len(c.want) {
				t.Fatalf("got %v, %v; want %v", got, err, c.want)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}
