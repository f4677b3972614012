package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/gateway/authn"
)

// viewer is the signed-in user of a page request.
type viewer struct {
	msg.Session
	// cookie is the Kratos session cookie's value: CSRF tokens bind to it.
	cookie string
}

type viewerKey struct{}

func viewerFrom(ctx context.Context) (viewer, bool) {
	v, ok := ctx.Value(viewerKey{}).(viewer)
	return v, ok
}

// withViewer puts v in ctx, and v's identity, which commands carry.
func withViewer(ctx context.Context, v viewer) context.Context {
	return identity.With(context.WithValue(ctx, viewerKey{}, v), v.Caller)
}

// signedIn resolves the browser's Kratos session with the auth service (as
// the API does) and puts the user in the context, with the identity the
// commands carry. A browser without a session is sent to sign in; an auth
// service that does not answer is an error page, not a sign-in loop.
func (h *Handler) signedIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(authn.KratosSessionCookie)
		if err != nil || c.Value == "" {
			h.toLogin(w, r)
			return
		}
		s, err := authn.Resolve(r.Context(), h.nc, msg.SessionCheck{Cookie: authn.KratosSessionCookie + "=" + c.Value})
		if err != nil {
			if e := apierr.From(err); e.Code == apierr.CodeUnauthenticated || e.Code == apierr.CodeNotFound {
				h.toLogin(w, r)
				return
			}
			h.fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(withViewer(r.Context(), viewer{Session: s, cookie: c.Value})))
	})
}

// toLogin sends a browser to sign in. A fetch of a live fragment gets a
// 401 instead, which the page's script turns into a navigation.
func (h *Handler) toLogin(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Fragment") != "" {
		http.Error(w, "sign in first", http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// adminOnly lets admins through and shows everyone else a 404, as the
// API does for objects a caller may not see.
func (h *Handler) adminOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v, ok := viewerFrom(r.Context()); !ok || !v.IsAdmin() {
			h.fail(w, r, apierr.NotFound("no page %s", r.URL.Path))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// protect checks the CSRF token of every state-changing request.
func (h *Handler) protect(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		v, _ := viewerFrom(r.Context())
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if !h.csrf.check(r, v.cookie, h.cop) {
			h.fail(w, r, errCSRF)
			return
		}
		next.ServeHTTP(w, r)
	})
}

var errCSRF = &apierr.Error{Code: apierr.CodeForbidden,
	Message: "This form has expired or did not come from this site. Go back, reload the page and try again."}

// isCSRF tells the error page to explain a refused form.
func isCSRF(err error) bool { return errors.Is(err, errCSRF) }
