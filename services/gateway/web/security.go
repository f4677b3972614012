package web

import (
	"net/http"
	"strings"
)

// CSP builds the Content-Security-Policy of every UI page: only the
// gateway's own origin may provide scripts, styles, images (and data: ones
// for small icons) or be fetched; no inline script or style anywhere, no
// framing, no plugins, and forms may only post to this origin or to the
// extra form targets (Kratos' public API when it is on another origin).
func CSP(formTargets ...string) string {
	formAction := append([]string{"'self'"}, formTargets...)
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:",
		"connect-src 'self'",
		"font-src 'self'",
		"object-src 'none'",
		"base-uri 'none'",
		"frame-ancestors 'none'",
		"form-action " + strings.Join(formAction, " "),
	}, "; ")
}

// SecurityHeaders sets the UI's security headers on every response it
// wraps. Pages are per-user and carry CSRF tokens, so they are never
// cached; static assets set their own caching.
func SecurityHeaders(csp string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "same-origin")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
			h.Set("Cache-Control", "no-store")
			next.ServeHTTP(w, r)
		})
	}
}
