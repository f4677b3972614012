package terminal

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// originAllowed guards the websocket against cross-site use of a browser's
// session cookie: a browser always sends Origin on a websocket handshake,
// and only the gateway's own origin (Origin's host equals the request's
// Host) or an allow-listed one may open a terminal. A request without
// Origin does not come from a page (curl, the Go client) and carries its
// credentials explicitly.
func originAllowed(r *http.Request, allowed []string) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return slices.Contains(allowed, strings.ToLower(u.Scheme+"://"+u.Host))
}
