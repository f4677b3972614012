// Package audit records every state-changing API request (POST, PUT, PATCH,
// DELETE under /api/v1): after the handler has answered, the middleware
// publishes an msg.AuditRecord — who, their role, the route pattern, the
// target, the status and error code, the trace id — on JetStream as
// evt.audit.<method>.<route words>. The auth service stores it (durable
// consumer, idempotent by id) and lists it to admins.
//
// The middleware sits behind authentication: a request without a valid
// session never reaches a handler and is not recorded (anyone could flood
// the log otherwise); an authenticated user refused by a handler is.
package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// PublishTimeout bounds the wait for JetStream's ack of one record.
const PublishTimeout = 5 * time.Second

// Auditor publishes audit records.
type Auditor struct {
	js  jetstream.JetStream
	log *slog.Logger
	now func() time.Time
}

// New returns an Auditor publishing on nc's JetStream.
func New(nc *nats.Conn, log *slog.Logger) (*Auditor, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("audit: jetstream: %w", err)
	}
	return &Auditor{js: js, log: log, now: time.Now}, nil
}

// StateChanging reports whether a method changes state (and is audited).
func StateChanging(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

type targetKey struct{}

// SetTarget names what a request acted on when the URL does not say it
// (the name of a container in a create's body, the user a delete removed).
// A no-op outside an audited request.
func SetTarget(ctx context.Context, target string) {
	if p, ok := ctx.Value(targetKey{}).(*string); ok {
		*p = target
	}
}

// Middleware audits the state-changing requests that reach it.
func (a *Auditor) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !StateChanging(r.Method) {
			next.ServeHTTP(w, r)
			return
		}
		var target string
		rec := newRecorder(w)
		start := a.now()
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), targetKey{}, &target)))
		a.publish(r, rec, start, target)
	})
}

func (a *Auditor) publish(r *http.Request, rec *recorder, at time.Time, target string) {
	c, _ := identity.From(r.Context())
	pattern := r.URL.Path
	var params []string
	if rc := chi.RouteContext(r.Context()); rc != nil {
		if p := rc.RoutePattern(); p != "" {
			pattern = p
		}
		for i, k := range rc.URLParams.Keys {
			if k != "*" && i < len(rc.URLParams.Values) {
				params = append(params, k+"="+rc.URLParams.Values[i])
			}
		}
	}
	if owner := r.URL.Query().Get("owner"); owner != "" {
		params = append(params, "owner="+owner)
	}
	sort.Strings(params)
	if target != "" {
		params = append([]string{target}, params...)
	}
	ev := msg.AuditRecord{
		ID:       newID(),
		Time:     at.UTC(),
		UserID:   c.UserID,
		Username: c.Username,
		Role:     c.Role,
		Action:   r.Method + " " + pattern,
		Target:   strings.Join(params, " "),
		Path:     r.URL.Path,
		Status:   rec.status(),
		RemoteIP: remoteIP(r),
	}
	if ev.Status >= 400 {
		ev.ErrorCode = rec.errorCode()
	}
	if sc := trace.SpanContextFromContext(r.Context()); sc.HasTraceID() {
		ev.TraceID = sc.TraceID().String()
	}
	// The client may be gone already; the record must still be published.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), PublishTimeout)
	defer cancel()
	if err := bus.PublishEvent(ctx, a.js, subjects.AuditEvent(Subject(r.Method, pattern)), ev.ID, ev); err != nil {
		a.log.ErrorContext(ctx, "audit record not published", "action", ev.Action, "user", ev.Username, "status", ev.Status, "err", err)
	}
}

// Subject is the subject suffix of an action: the method and the route's
// words, parameters left out, e.g. "post.containers.stop" for
// "POST /api/v1/containers/{name}/stop", so admins can subscribe to
// "evt.audit.*.admin.>" and the like.
func Subject(method, pattern string) string {
	words := []string{strings.ToLower(method)}
	for _, seg := range strings.Split(strings.TrimPrefix(pattern, "/api/v1"), "/") {
		if seg == "" || strings.HasPrefix(seg, "{") || seg == "*" {
			continue
		}
		words = append(words, token(seg))
	}
	return strings.Join(words, ".")
}

// token keeps a subject token to characters NATS treats as plain.
func token(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return '_'
	}, s)
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "audit-" + hex.EncodeToString(b)
}
