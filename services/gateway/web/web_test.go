package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/natstest"
)

// testHandler is the UI with its real templates on a real (embedded) NATS
// server that nothing answers on: enough for what the UI decides alone.
func testHandler(t *testing.T) *Handler {
	t.Helper()
	cfg, err := LoadConfig(config.FromMap(map[string]string{"WEB_SECRET": "0123456789abcdef0123456789abcdef"}))
	if err != nil {
		t.Fatal(err)
	}
	nc := natstest.Connect(t, natstest.Server(t))
	h, err := New(cfg, Deps{NC: nc, KratosPublicURL: "http://127.0.0.1:1", KratosBrowserPath: "/.ory/kratos/public",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func testRouter(t *testing.T) http.Handler {
	t.Helper()
	r := chi.NewRouter()
	testHandler(t).Mount(r)
	return r
}

// TestEveryPageHasTheSecurityHeaders: pages, redirects, errors and assets
// all carry the CSP and its companions.
func TestEveryPageHasTheSecurityHeaders(t *testing.T) {
	r := testRouter(t)
	tests := []struct {
		path     string
		status   int
		location string
	}{
		{"/", http.StatusSeeOther, "/login"},
		{"/containers", http.StatusSeeOther, "/login"},
		{"/run", http.StatusSeeOther, "/login"},
		{"/admin", http.StatusSeeOther, "/login"},
		{"/volumes", http.StatusSeeOther, "/login"},
		{"/images", http.StatusSeeOther, "/login"},
		{"/login", http.StatusSeeOther, "/.ory/kratos/public/self-service/login/browser"},
		{"/registration", http.StatusSeeOther, "/.ory/kratos/public/self-service/registration/browser"},
		{"/recovery?return_to=http%3A%2F%2Fgw%2F", http.StatusSeeOther, "/.ory/kratos/public/self-service/recovery/browser?return_to=http%3A%2F%2Fgw%2F"},
		{"/no/such/page", http.StatusNotFound, ""},
		{"/static/app.css", http.StatusOK, ""},
		{"/static/app.js", http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://gw.example"+tt.path, nil))
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d\n%s", rec.Code, tt.status, rec.Body.String())
			}
			if got := rec.Header().Get("Location"); got != tt.location {
				t.Errorf("Location %q, want %q", got, tt.location)
			}
			h := rec.Header()
			csp := h.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "frame-ancestors 'none'", "form-action 'self'", "object-src 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("CSP %q allows inline code", csp)
			}
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
			if got := h.Get("Referrer-Policy"); got != "same-origin" {
				t.Errorf("Referrer-Policy %q", got)
			}
			if got := h.Get("X-Frame-Options"); got != "DENY" {
				t.Errorf("X-Frame-Options %q", got)
			}
		})
	}
}

// TestWrongMethodIsAPage: a method a page does not take gets the error
// page, with the headers, not chi's bare 405.
func TestWrongMethodIsAPage(t *testing.T) {
	rec := httptest.NewRecorder()
	testRouter(t).ServeHTTP(rec, httptest.NewRequest(http.MethodPut, "http://gw.example/containers", nil))
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("status %d", rec.Code)
	}
	if !strings.Contains(rec.Header().Get("Content-Security-Policy"), "script-src 'self'") || !strings.Contains(rec.Body.String(), "PUT is not allowed on /containers.") {
		t.Errorf("headers %v body %s", rec.Header(), rec.Body.String())
	}
}

func TestCSPNamesKratosOnAnotherOrigin(t *testing.T) {
	tests := []struct {
		browserPath, want string
	}{
		{"/.ory/kratos/public", "form-action 'self'"},
		{"https://id.example.com/", "form-action 'self' https://id.example.com"},
	}
	for _, tt := range tests {
		csp := CSP(formTargets(tt.browserPath)...)
		if !strings.HasSuffix(csp, tt.want) {
			t.Errorf("Kratos at %s: CSP %q, want it to end with %q", tt.browserPath, csp, tt.want)
		}
	}
}

// TestStaticAssetsAreVersioned: the versioned URL is cached for good, any
// other is revalidated, and directories are not listed.
func TestStaticAssetsAreVersioned(t *testing.T) {
	r := testRouter(t)
	get := func(u string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://gw.example"+u, nil))
		return rec
	}
	v := asset("app.css")
	if !strings.Contains(v, "?v=") || len(versions["app.css"]) != 12 {
		t.Fatalf("asset URL %q has no version", v)
	}
	if rec := get(v); rec.Code != 200 || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/css") {
		t.Errorf("versioned asset: %d %q %q", rec.Code, rec.Header().Get("Cache-Control"), rec.Header().Get("Content-Type"))
	}
	if rec := get("/static/app.css?v=old"); rec.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("stale version cached: %q", rec.Header().Get("Cache-Control"))
	}
	if rec := get("/static/"); rec.Code != http.StatusNotFound {
		t.Errorf("directory listing: %d", rec.Code)
	}
}

// TestNoInlineScriptOrStyle: the CSP forbids them, so no template may
// hold any (they would silently not work).
func TestNoInlineScriptOrStyle(t *testing.T) {
	for name, set := range testHandler(t).tpl.pages {
		for _, tpl := range set.Templates() {
			if tpl.Tree == nil {
				continue
			}
			src := tpl.Tree.Root.String()
			for _, bad := range []string{"<script>", "style=", "<style", "onclick=", "onsubmit=", "onload=", "javascript:"} {
				if strings.Contains(src, bad) {
					t.Errorf("page %s, template %s holds %q", name, tpl.Name(), bad)
				}
			}
		}
	}
}
