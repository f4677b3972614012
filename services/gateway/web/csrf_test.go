package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/dockeronline/platform/pkg/msg"
)

func TestCSRFTokenIsBoundToSessionAndSecret(t *testing.T) {
	a := csrf{key: []byte("0123456789abcdef0123456789abcdef")}
	b := csrf{key: []byte("another secret of thirty-two b..")}
	tok := a.token("session-1")
	tests := []struct {
		name    string
		c       csrf
		session string
		token   string
		want    bool
	}{
		{"own session", a, "session-1", tok, true},
		{"other session", a, "session-2", tok, false},
		{"other gateway secret", b, "session-1", tok, false},
		{"no token", a, "session-1", "", false},
		{"no session", a, "", a.token(""), false},
		{"truncated", a, "session-1", tok[:len(tok)-1], false},
		{"tampered", a, "session-1", "x" + tok[1:], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.valid(tt.session, tt.token); got != tt.want {
				t.Errorf("valid = %v, want %v", got, tt.want)
			}
		})
	}
	if a.token("session-1") != tok {
		t.Error("a session's token changed between two pages")
	}
}

// TestProtectRefusesForgedForms runs the UI's CSRF middleware as the
// router does: a signed-in viewer, a POST, and only the right token from
// this origin gets through.
func TestProtectRefusesForgedForms(t *testing.T) {
	h := testHandler(t)
	v := viewer{Session: msg.Session{}, cookie: "kratos-session-value"}
	v.UserID, v.Username = "u1", "alice"
	good := h.csrf.token(v.cookie)
	reached := 0
	next := h.protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached++ }))

	tests := []struct {
		name   string
		method string
		form   url.Values
		header map[string]string
		pass   bool
	}{
		{"GET needs no token", http.MethodGet, nil, nil, true},
		{"POST with the session's token", http.MethodPost, url.Values{CSRFField: {good}}, map[string]string{"Sec-Fetch-Site": "same-origin"}, true},
		{"POST without a token", http.MethodPost, url.Values{"name": {"web"}}, nil, false},
		{"POST with another session's token", http.MethodPost, url.Values{CSRFField: {h.csrf.token("someone-else")}}, nil, false},
		{"POST with the token but from another site", http.MethodPost, url.Values{CSRFField: {good}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
		{"POST with the token and a foreign Origin", http.MethodPost, url.Values{CSRFField: {good}}, map[string]string{"Origin": "http://evil.example"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := reached
			req := httptest.NewRequest(tt.method, "http://gw.example/containers/web/stop", strings.NewReader(tt.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, val := range tt.header {
				req.Header.Set(k, val)
			}
			req = req.WithContext(withViewer(req.Context(), v))
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, req)
			if passed := reached > before; passed != tt.pass {
				t.Fatalf("passed = %v, want %v (status %d)", passed, tt.pass, rec.Code)
			}
			if !tt.pass {
				if rec.Code != http.StatusForbidden {
					t.Errorf("status %d, want 403", rec.Code)
				}
				if !strings.Contains(rec.Body.String(), "did not come from this site") {
					t.Errorf("the refusal does not explain itself:\n%s", rec.Body.String())
				}
			}
		})
	}
}
