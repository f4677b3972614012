package edge

import (
	"log/slog"
	"net/http"
	"net/http/httputil"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/dockeronline/platform/services/proxy/routes"
)

// Handler is the public listener's handler: Host → route → (private link
// check) → reverse proxy. The Host header is the only routing input.
var tracer = otel.Tracer("github.com/dockeronline/platform/services/proxy/edge")

type Handler struct {
	domain string
	routes *routes.Routes
	links  *links
	rp     *httputil.ReverseProxy
	log    *slog.Logger
	trace  bool // a server span per request (TRACE_REQUESTS)
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.trace {
		h.serve(w, r)
		return
	}
	ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := tracer.Start(ctx, "proxy "+r.Method, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("server.address", r.Host)))
	defer span.End()
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	h.serve(sw, r.WithContext(ctx))
	span.SetAttributes(attribute.Int("http.response.status_code", sw.status))
	if sw.status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(sw.status))
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	label, hostname, err := routes.ParseHost(r.Host, h.domain)
	if err != nil {
		renderPage(w, h.log, http.StatusNotFound, pageNotFound, pageData{Host: hostOnly(r.Host), Domain: h.domain})
		return
	}
	route, ok := h.routes.Load().Lookup(label)
	switch {
	case !ok:
		renderPage(w, h.log, http.StatusNotFound, pageNotFound, pageData{Host: hostname, Domain: h.domain})
	case r.URL.Path == AuthPath:
		h.links.callback(w, r, route, hostname)
	case route.Private && !h.links.allow(w, r, route, hostname):
	default:
		h.rp.ServeHTTP(w, r.WithContext(withRoute(r.Context(), route)))
	}
}

// statusWriter records the status code for the request's span. Unwrap lets
// http.ResponseController reach the connection (flush, hijack for
// websockets).
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote && code >= 200 {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
