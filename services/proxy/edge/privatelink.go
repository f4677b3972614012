package edge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/linktoken"

	"github.com/dockeronline/platform/services/proxy/routes"
)

// Private links. A browser without a valid link cookie for the host is sent
// to the gateway's /auth/link, which checks the platform session and that
// the caller owns the app (or is an admin), then sends the browser back to
// AuthPath on the app's host with a short-lived token. The proxy verifies
// it (a ticket: bound to this host, a minute of life, redeemed once), keeps
// a longer-lived token of its own in a host-only cookie (HttpOnly,
// SameSite=Lax, Secure when links are public over https) and lets through
// only the owner and admins. The cookie never reaches the app.

// AuthPath is reserved on every app host: the gateway's way back.
const AuthPath = "/.dockeronline/auth"

// CookieName is the private-link cookie.
const CookieName = "dockeronline_link"

var errTicketUsed = errors.New("link ticket was already used")

type links struct {
	secret  []byte
	gateway *url.URL
	ttl     time.Duration
	// secure: links are public over https (APPS_URL_TEMPLATE), so the
	// cookie is Secure even when TLS ends before the proxy.
	secure  bool
	tickets *tickets
	// shared: the platform-wide record (nil in tests of the handler alone).
	shared *sharedTickets
	now    func() time.Time
	log    *slog.Logger
}

// allow reports whether r may reach route; when not, it has answered.
func (l *links) allow(w http.ResponseWriter, r *http.Request, route routes.Route, hostname string) bool {
	if len(l.secret) == 0 {
		renderPage(w, l.log, http.StatusServiceUnavailable, pageUnconfigured, pageData{Host: hostname})
		return false
	}
	claims, ok := l.fromCookies(r, hostname)
	if ok {
		if permitted(claims, route) {
			return true
		}
		l.log.InfoContext(r.Context(), "private link refused", "label", route.Label, "user", claims.UserID)
		renderPage(w, l.log, http.StatusForbidden, pageForbidden, pageData{Host: hostname, Link: l.gateway.String()})
		return false
	}
	login := l.loginURL(r, r.URL.RequestURI())
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, login, http.StatusFound)
		return false
	}
	renderPage(w, l.log, http.StatusUnauthorized, pageSignIn, pageData{Host: hostname, Link: login})
	return false
}

// callback serves AuthPath: token in, cookie set, back to the page asked for.
func (l *links) callback(w http.ResponseWriter, r *http.Request, route routes.Route, hostname string) {
	q := r.URL.Query()
	back := safeReturn(q.Get("return"), r.Host)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if !route.Private {
		http.Redirect(w, r, back, http.StatusFound)
		return
	}
	if len(l.secret) == 0 {
		renderPage(w, l.log, http.StatusServiceUnavailable, pageUnconfigured, pageData{Host: hostname})
		return
	}
	now := l.now()
	claims, err := linktoken.Verify(l.secret, q.Get("token"), linktoken.Ticket, hostname, now)
	if err == nil {
		err = l.redeem(r.Context(), claims, now)
	}
	if err != nil {
		l.log.InfoContext(r.Context(), "private link token refused", "label", route.Label, "err", err)
		renderPage(w, l.log, http.StatusBadRequest, pageBadLink, pageData{Host: hostname, Link: l.loginURL(r, back)})
		return
	}
	if !permitted(claims, route) {
		l.log.InfoContext(r.Context(), "private link refused", "label", route.Label, "user", claims.UserID)
		renderPage(w, l.log, http.StatusForbidden, pageForbidden, pageData{Host: hostname, Link: l.gateway.String()})
		return
	}
	tok, err := linktoken.Sign(l.secret, linktoken.Claims{Kind: linktoken.Cookie, Host: hostname,
		UserID: claims.UserID, Role: claims.Role, Expiry: now.Add(l.ttl)})
	if err != nil {
		l.log.ErrorContext(r.Context(), "sign link cookie", "err", err)
		renderPage(w, l.log, http.StatusBadRequest, pageBadLink, pageData{Host: hostname, Link: l.loginURL(r, back)})
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: tok, Path: "/", MaxAge: int(l.ttl.Seconds()),
		HttpOnly: true, Secure: l.secure || r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, back, http.StatusFound)
}

// redeem uses a ticket up: here first, then platform-wide; any doubt
// (NATS unreachable) refuses it, and the browser can ask the gateway again.
func (l *links) redeem(ctx context.Context, c linktoken.Claims, now time.Time) error {
	if !l.tickets.redeem(c.ID, c.Expiry, now) {
		return errTicketUsed
	}
	if l.shared == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	first, err := l.shared.redeem(ctx, c.ID)
	if err != nil {
		return fmt.Errorf("link ticket record unavailable: %w", err)
	}
	if !first {
		return errTicketUsed
	}
	return nil
}

// fromCookies returns the claims of the first link cookie valid for
// hostname. Every cookie of that name is tried: another app under the same
// domain could have planted a junk one with a Domain attribute.
func (l *links) fromCookies(r *http.Request, hostname string) (linktoken.Claims, bool) {
	now := l.now()
	for _, c := range r.CookiesNamed(CookieName) {
		if claims, err := linktoken.Verify(l.secret, c.Value, linktoken.Cookie, hostname, now); err == nil {
			return claims, true
		}
	}
	return linktoken.Claims{}, false
}

func permitted(c linktoken.Claims, route routes.Route) bool {
	return c.UserID == route.Owner || c.Role == string(identity.RoleAdmin)
}

// loginURL is the gateway's /auth/link for this host, asking to come back
// to ret (a path on this host).
func (l *links) loginURL(r *http.Request, ret string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := *l.gateway
	u.Path += "/auth/link"
	u.RawQuery = url.Values{"host": {r.Host}, "return": {scheme + "://" + r.Host + ret}}.Encode()
	return u.String()
}

// safeReturn accepts a path on this host ("/x?y"), or an absolute URL on
// this very host (reduced to its path); anything else is "/".
func safeReturn(ret, host string) string {
	if ret == "" {
		return "/"
	}
	u, err := url.Parse(ret)
	if err != nil || u.User != nil {
		return "/"
	}
	if u.Scheme != "" || u.Host != "" {
		if (u.Scheme != "http" && u.Scheme != "https") || !strings.EqualFold(u.Host, host) {
			return "/"
		}
	}
	p := u.EscapedPath()
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.Contains(p, "\\") {
		return "/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}

// stripCookie removes the link cookie from the headers sent to the app.
func (l *links) stripCookie(h http.Header) {
	vals := h["Cookie"]
	if len(vals) == 0 {
		return
	}
	found := false
	for _, v := range vals {
		if strings.Contains(v, CookieName) {
			found = true
			break
		}
	}
	if !found {
		return
	}
	var kept []string
	for _, v := range vals {
		var parts []string
		for _, p := range strings.Split(v, ";") {
			p = strings.TrimSpace(p)
			name, _, _ := strings.Cut(p, "=")
			if p == "" || strings.TrimSpace(name) == CookieName {
				continue
			}
			parts = append(parts, p)
		}
		if len(parts) > 0 {
			kept = append(kept, strings.Join(parts, "; "))
		}
	}
	if len(kept) == 0 {
		h.Del("Cookie")
		return
	}
	h["Cookie"] = kept
}
