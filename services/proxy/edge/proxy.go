package edge

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"

	"github.com/dockeronline/platform/services/proxy/routes"
)

// The reverse proxy proper: net/http/httputil.ReverseProxy with a Rewrite
// hook. ReverseProxy already drops hop-by-hop headers (those named in
// Connection too, whatever their case: header names are canonicalised on
// read), passes protocol upgrades (websockets) through, and in Rewrite mode
// removes the client's Forwarded and X-Forwarded-{For,Host,Proto} before the
// hook runs.
//
// Flushing note: ReverseProxy flushes every write by itself for streams —
// responses of unknown length (chunked, long-poll, downloads in progress)
// and text/event-stream — so FlushInterval stays 0 for the rest. Forcing -1
// for every response (one extra write syscall per response) cost 20–40 % of
// the requests/s in the benchmark for no gain: a response with a
// Content-Length still goes out as the app sends it, 4 KiB at a time.

type routeKey struct{}

func withRoute(ctx context.Context, r routes.Route) context.Context {
	return context.WithValue(ctx, routeKey{}, r)
}

func routeFrom(ctx context.Context) routes.Route {
	r, _ := ctx.Value(routeKey{}).(routes.Route)
	return r
}

// upstreamTimeout bounds the wait for an app's response headers (not the
// body: streams and websockets may last as long as they like).
const upstreamTimeout = 2 * time.Minute

// NewTransport is the connection pool to the apps: no environment proxy,
// bounded dials, keep-alive, bodies passed as they are (no transparent gzip).
func NewTransport(dialTimeout time.Duration) *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   128,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: upstreamTimeout,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
		WriteBufferSize:       32 << 10,
		ReadBufferSize:        32 << 10,
	}
}

func newReverseProxy(transport http.RoundTripper, links *links, log *slog.Logger) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite:       rewrite(links),
		Transport:     transport,
		FlushInterval: 0, // see flushing note above
		BufferPool:    bufferPool{},
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		ErrorHandler:  errorHandler(log),
	}
}

func rewrite(links *links) func(*httputil.ProxyRequest) {
	return func(pr *httputil.ProxyRequest) {
		route := routeFrom(pr.In.Context())
		pr.Out.URL.Scheme = "http"
		pr.Out.URL.Host = route.Target
		pr.Out.Host = pr.In.Host // the app sees the host the browser asked for

		// Nothing the client says about forwarding is trusted.
		for k := range pr.Out.Header {
			if strings.HasPrefix(k, "X-Forwarded-") {
				delete(pr.Out.Header, k)
			}
		}
		pr.Out.Header.Del("X-Real-Ip")
		pr.SetXForwarded()
		if ip, _, err := net.SplitHostPort(pr.In.RemoteAddr); err == nil {
			pr.Out.Header.Set("X-Real-Ip", ip)
		}
		links.stripCookie(pr.Out.Header)
		otel.GetTextMapPropagator().Inject(pr.In.Context(), propagation.HeaderCarrier(pr.Out.Header))
	}
}

// errorHandler answers a failed upstream round trip with the 502 page.
func errorHandler(log *slog.Logger) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		route := routeFrom(r.Context())
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			log.DebugContext(r.Context(), "client went away", "label", route.Label)
			return
		}
		log.WarnContext(r.Context(), "app not responding", "label", route.Label, "target", route.Target, "err", err)
		renderPage(w, log, http.StatusBadGateway, pageUnavailable, pageData{
			Host: hostOnly(r.Host), Name: route.Name, Port: strconv.Itoa(route.Port),
		})
	}
}

// bufferPool recycles the 32 KiB copy buffers of response bodies.
type bufferPool struct{}

var buffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufferPool) Get() []byte  { return *(buffers.Get().(*[]byte)) }
func (bufferPool) Put(b []byte) { buffers.Put(&b) }

// hostOnly is h without its port, trimmed for display.
func hostOnly(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	if len(h) > 100 {
		h = h[:100] + "…"
	}
	return h
}
