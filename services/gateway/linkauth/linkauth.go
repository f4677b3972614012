// Package linkauth serves GET /auth/link, the gateway's half of private web
// links. The proxy sends a browser without a link cookie here with the host
// it asked for; if the browser has a platform session and its user owns the
// route (or is an admin), it goes back to the proxy with a short-lived
// token bound to that host. The proxy verifies the token and sets its own
// cookie. Browsers keep the session cookie on the gateway's origin only, so
// this hop is how a session reaches an app's host without sharing cookies
// across the apps domain.
package linkauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/linktoken"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/gateway/authn"
)

// TokenTTL is how long the proxy may take to redeem a token: a browser
// follows the redirect at once; the proxy redeems each ticket once.
const TokenTTL = 60 * time.Second

// AuthPath is the proxy's redeem path on every app host.
const AuthPath = "/.dockeronline/auth"

// Config is the handler's settings.
type Config struct {
	// Secret is shared with the proxy (LINK_SECRET); empty disables
	// private links (the handler answers 503).
	Secret []byte
	// AppsDomain is the apps domain (APPS_DOMAIN, default apps.localhost).
	AppsDomain string
	// LoginPath starts a browser login that returns to a given URL.
	LoginPath string
	// AppsURLTemplate is the public URL of a web link, "{host}" replaced
	// (APPS_URL_TEMPLATE, e.g. "https://{host}/"): a ticket goes only to
	// its scheme and port, whatever port or scheme the request names.
	AppsURLTemplate string
}

// route is what the gateway needs of a proxy route entry: its owner.
type route struct {
	Owner string `json:"owner"`
}

// Handler serves GET /auth/link?host=<Host the browser used>&return=<URL>.
func Handler(nc *nats.Conn, cfg Config, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if len(cfg.Secret) < linktoken.MinSecretLen {
			page(w, http.StatusServiceUnavailable, "Private links are not configured on this platform.")
			return
		}
		rawHost := r.URL.Query().Get("host")
		host := linktoken.NormalizeHost(rawHost)
		label, ok := strings.CutSuffix(host, "."+cfg.AppsDomain)
		if !ok || label == "" || strings.Contains(label, ".") || !plainHostPort(rawHost, host) {
			page(w, http.StatusBadRequest, "This is not a web link of this platform.")
			return
		}
		public, err := cfg.publicURL(host)
		if err != nil {
			log.ErrorContext(r.Context(), "APPS_URL_TEMPLATE does not give a link's URL", "err", err)
			page(w, http.StatusServiceUnavailable, "Private links are not configured on this platform.")
			return
		}
		if !samePort(rawHost, public) {
			page(w, http.StatusBadRequest, "This is not a web link of this platform (wrong port).")
			return
		}
		sess, err := authn.Resolve(r.Context(), nc, authn.Credentials(r))
		if err != nil {
			if apierr.From(err).Code == apierr.CodeUnauthenticated {
				http.Redirect(w, r, cfg.LoginPath+url.QueryEscape(selfURL(r)), http.StatusFound)
				return
			}
			page(w, http.StatusServiceUnavailable, "Sign-in is unavailable right now; try again shortly.")
			return
		}
		owner, err := ownerOf(r, nc, label)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			page(w, http.StatusNotFound, "No app answers at this address.")
			return
		case err != nil:
			log.WarnContext(r.Context(), "route lookup failed", "label", label, "err", err)
			page(w, http.StatusServiceUnavailable, "Links are unavailable right now; try again shortly.")
			return
		case owner != sess.UserID && !sess.IsAdmin():
			page(w, http.StatusForbidden, "This app is private to its owner.")
			return
		}
		tok, err := linktoken.Sign(cfg.Secret, linktoken.Claims{Kind: linktoken.Ticket, ID: linktoken.NewID(),
			Host: host, UserID: sess.UserID, Role: string(sess.Role), Expiry: time.Now().Add(TokenTTL)})
		if err != nil {
			page(w, http.StatusInternalServerError, "Could not issue a link token.")
			return
		}
		w.Header().Set("Referrer-Policy", "no-referrer")
		http.Redirect(w, r, backURL(public, r.URL.Query().Get("return"), tok), http.StatusFound)
	}
}

// plainHostPort accepts raw only as host or host:port with a numeric port:
// it becomes the redirect's authority, so nothing else (a user part, a
// path) may ride in it.
func plainHostPort(raw, host string) bool {
	h, port := raw, ""
	if strings.Contains(raw, ":") {
		var err error
		if h, port, err = net.SplitHostPort(raw); err != nil {
			return false
		}
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return false
		}
	}
	return strings.EqualFold(h, host)
}

func ownerOf(r *http.Request, nc *nats.Conn, label string) (string, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return "", err
	}
	kv, err := js.KeyValue(r.Context(), subjects.RoutesBucket)
	if err != nil {
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			return "", jetstream.ErrKeyNotFound
		}
		return "", err
	}
	e, err := kv.Get(r.Context(), label)
	if err != nil {
		return "", err
	}
	var rt route
	if err := json.Unmarshal(e.Value(), &rt); err != nil {
		return "", err
	}
	return rt.Owner, nil
}

// publicURL is the link's public URL for host, from APPS_URL_TEMPLATE; its
// host must come out as host itself (with the template's port, if any).
func (cfg Config) publicURL(host string) (*url.URL, error) {
	t := cfg.AppsURLTemplate
	if t == "" {
		t = "http://{host}/"
	}
	u, err := url.Parse(strings.ReplaceAll(t, "{host}", host))
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || !strings.EqualFold(u.Hostname(), host) {
		return nil, fmt.Errorf("APPS_URL_TEMPLATE=%q must be <scheme>://{host}[:port]/", t)
	}
	return u, nil
}

// samePort reports whether the host the proxy was asked for names the
// public URL's port (or none, when the public URL uses its scheme's
// default port): a ticket is never sent to another port of that host.
func samePort(rawHost string, public *url.URL) bool {
	_, port, err := net.SplitHostPort(rawHost)
	if err != nil {
		port = ""
	}
	want := public.Port()
	def := map[string]string{"http": "80", "https": "443"}[public.Scheme]
	if want == "" || want == def {
		return port == "" || port == def
	}
	return port == want
}

// backURL is where the browser goes with its ticket: the proxy's redeem
// path on the link's public URL (scheme and port from configuration only),
// returning to the path it wanted there. A return URL on another host,
// scheme or port is ignored, so this is never an open redirect.
func backURL(public *url.URL, ret, tok string) string {
	path := "/"
	if u, err := url.Parse(ret); err == nil && u.User == nil && u.Scheme == public.Scheme &&
		strings.EqualFold(u.Host, public.Host) && safePath(u.EscapedPath()) {
		path = u.RequestURI()
	}
	back := *public
	back.Path, back.RawPath = AuthPath, ""
	back.RawQuery = url.Values{"token": {tok}, "return": {path}}.Encode()
	back.Fragment = ""
	return back.String()
}

// safePath is an absolute path that no browser reads as another host
// ("//evil", "/\\evil").
func safePath(p string) bool {
	return p == "" || (strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.Contains(p, "\\") && !strings.Contains(p, "%5C") && !strings.Contains(p, "%5c"))
}

func selfURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.RequestURI()
}

func page(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(text + "\n"))
}
