// Package authn authenticates every API request: it sends the caller's
// Kratos session (the Cookie header, or "Authorization: Bearer <token>") to
// the auth service over NATS and puts the resulting identity in the
// request's context. The gateway itself holds no user table.
package authn

import (
	"context"
	"net/http"
	"strings"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/gateway/httpx"
)

// KratosSessionCookie is the cookie Kratos sets for browser sessions.
const KratosSessionCookie = "ory_kratos_session"

type sessionKey struct{}

// Session returns the authenticated session of a request's context.
func Session(ctx context.Context) (msg.Session, bool) {
	s, ok := ctx.Value(sessionKey{}).(msg.Session)
	return s, ok
}

// Credentials extracts what identifies the caller: a bearer token wins over
// the session cookie. Only the Kratos cookie is forwarded, never others.
func Credentials(r *http.Request) msg.SessionCheck {
	if h := r.Header.Get("Authorization"); h != "" {
		if tok, ok := strings.CutPrefix(h, "Bearer "); ok && strings.TrimSpace(tok) != "" {
			return msg.SessionCheck{Token: strings.TrimSpace(tok)}
		}
		return msg.SessionCheck{}
	}
	if c, err := r.Cookie(KratosSessionCookie); err == nil && c.Value != "" {
		return msg.SessionCheck{Cookie: KratosSessionCookie + "=" + c.Value}
	}
	return msg.SessionCheck{}
}

// Resolve asks the auth service who the credentials belong to.
func Resolve(ctx context.Context, nc *nats.Conn, creds msg.SessionCheck) (msg.Session, error) {
	if creds.Cookie == "" && creds.Token == "" {
		return msg.Session{}, apierr.New(apierr.CodeUnauthenticated, "sign in first: no session cookie or bearer token")
	}
	return bus.Request[msg.Session](ctx, nc, subjects.AuthSessionCheck, creds)
}

// Middleware rejects unauthenticated requests with 401 (or the auth
// service's refusal) and passes the rest on with the caller in context.
func Middleware(nc *nats.Conn) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, err := Resolve(r.Context(), nc, Credentials(r))
			if err != nil {
				httpx.WriteError(w, err)
				return
			}
			trace.SpanFromContext(r.Context()).SetAttributes(attribute.String("user.id", s.UserID), attribute.String("user.name", s.Username))
			ctx := identity.With(context.WithValue(r.Context(), sessionKey{}, s), s.Caller)
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
