package metrics

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/felixge/httpsnoop"
	"go.opentelemetry.io/otel/trace"
)

// Unmatched is the route label of a request no route matched.
const Unmatched = "unmatched"

// HTTPMiddleware counts and times every request into
// dockeronline_http_requests_total and
// dockeronline_http_request_duration_seconds. route names the request's
// route pattern; it is called after the handler, since a router knows the
// pattern only once it has routed. It must return a pattern, never the raw
// path, or every container name would become a series; "" counts as
// Unmatched. Methods outside the standard set count as "OTHER" for the same
// reason. The request's span (otelhttp's, further out) is the latency's
// exemplar.
func (r *Registry) HTTPMiddleware(route func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			ServeObserved(next, w, req, func(code int, d time.Duration) {
				r.observeHTTP(route(req), req.Method, code, d, trace.SpanContextFromContext(req.Context()))
			})
		})
	}
}

// ServeObserved serves req with next and then tells observe the status
// sent and the time taken. The response writer next is given keeps every
// optional interface of w (flush for server-sent events, hijack for
// websockets). A panic is observed as the 500 a recoverer further out
// will answer, and goes on unrecovered (so the recoverer logs the
// original stack).
func ServeObserved(next http.Handler, w http.ResponseWriter, req *http.Request, observe func(code int, d time.Duration)) {
	start := time.Now()
	var code int
	completed := false
	defer func() {
		if code == 0 {
			code = http.StatusOK
			if !completed {
				code = http.StatusInternalServerError
			}
		}
		observe(code, time.Since(start))
	}()
	next.ServeHTTP(wrapStatus(w, &code), req)
	completed = true
}

func (r *Registry) observeHTTP(route, method string, code int, d time.Duration, span trace.SpanContext) {
	if route == "" {
		route = Unmatched
	}
	method = knownMethod(method)
	r.httpRequests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	observe(r.httpDuration.WithLabelValues(route, method), d.Seconds(), span)
}

// wrapStatus records in *code the response's status: the first final
// status written (1xx are informational), 200 once a body is written
// without one, 101 when the connection is hijacked first (a websocket
// upgrade whose 101 the hijacker wrote itself).
func wrapStatus(w http.ResponseWriter, code *int) http.ResponseWriter {
	return httpsnoop.Wrap(w, httpsnoop.Hooks{
		WriteHeader: func(next httpsnoop.WriteHeaderFunc) httpsnoop.WriteHeaderFunc {
			return func(c int) {
				if *code == 0 && (c < 100 || c > 199 || c == http.StatusSwitchingProtocols) {
					*code = c
				}
				next(c)
			}
		},
		Write: func(next httpsnoop.WriteFunc) httpsnoop.WriteFunc {
			return func(b []byte) (int, error) {
				if *code == 0 {
					*code = http.StatusOK
				}
				return next(b)
			}
		},
		Hijack: func(next httpsnoop.HijackFunc) httpsnoop.HijackFunc {
			return func() (net.Conn, *bufio.ReadWriter, error) {
				if *code == 0 {
					*code = http.StatusSwitchingProtocols
				}
				return next()
			}
		},
	})
}

// knownMethod bounds the method label.
func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "OTHER"
}
