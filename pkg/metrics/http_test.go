package metrics_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dockeronline/platform/pkg/metrics"
	"github.com/dockeronline/platform/pkg/metrics/metricstest"
)

// recoverer answers 500 to a panic, as chi's Recoverer does.
func recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				w.WriteHeader(http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// A service's requests are counted and timed by route pattern (never the
// raw path), method and the status actually sent, whatever way the
// handler ends: explicit status, implicit 200, panic, websocket hijack,
// no route at all. Streaming keeps working through the middleware.
func TestHTTPMiddlewareCountsByRoutePattern(t *testing.T) {
	reg := metrics.NewRegistry("svc")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusCreated) })
	mux.HandleFunc("/any/{id}", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "implicit 200") })
	mux.HandleFunc("POST /boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	mux.HandleFunc("GET /sse", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush through the middleware: %v", err)
		}
		fmt.Fprint(w, "data: x\n\n")
	})
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, _ *http.Request) {
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack through the middleware: %v", err)
			return
		}
		defer conn.Close()
		_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_ = rw.Flush()
	})
	pattern := func(r *http.Request) string { return r.Pattern } // ServeMux's, like chi's RoutePattern
	srv := httptest.NewServer(recoverer(reg.HTTPMiddleware(pattern)(mux)))
	defer srv.Close()

	for _, req := range []struct{ method, path string }{
		{"GET", "/things/1"}, {"GET", "/things/2"}, {"BREW", "/any/x"}, {"POST", "/boom"},
		{"GET", "/nothing/here"}, {"GET", "/sse"}, {"GET", "/ws"},
	} {
		send(t, srv.URL, req.method, req.path)
	}

	m := metricstest.Scrape(t, scrapeURL(t, reg))
	for _, tc := range []struct {
		name                string
		route, method, code string
		want                float64
	}{
		{"pattern, not path", "GET /things/{id}", "GET", "201", 2},
		{"unknown method bounded", "/any/{id}", "OTHER", "200", 1},
		{"panic is a 500", "POST /boom", "POST", "500", 1},
		{"no route", metrics.Unmatched, "GET", "404", 1},
		{"streamed", "GET /sse", "GET", "200", 1},
		{"websocket upgrade", "GET /ws", "GET", "101", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			labels := map[string]string{"service": "svc", "route": tc.route, "method": tc.method, "code": tc.code}
			if got, _ := m.Sum("dockeronline_http_requests_total", labels); got != tc.want {
				t.Errorf("requests %v = %v, want %v; series: %v", labels, got, tc.want, m.Labels("dockeronline_http_requests_total"))
			}
			delete(labels, "code")
			if got, _ := m.Sum("dockeronline_http_request_duration_seconds", labels); got != tc.want {
				t.Errorf("duration observations %v = %v, want %v", labels, got, tc.want)
			}
		})
	}
	for _, l := range m.Labels("dockeronline_http_requests_total") {
		if strings.Contains(l["route"], "/things/1") || strings.Contains(l["route"], "/nothing") {
			t.Errorf("a raw path became a route label: %v", l)
		}
	}
}

func send(t *testing.T, base, method, path string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if path == "/ws" {
		// A hijacked connection has no HTTP response for the client to
		// read back; speak to it directly.
		conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := req.Write(conn); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(conn), req)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("ws: status %d", res.StatusCode)
		}
		return
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	res.Body.Close()
}

// scrapeURL serves reg's handler and returns its URL.
func scrapeURL(t *testing.T, reg *metrics.Registry) string {
	t.Helper()
	mux := http.NewServeMux()
	reg.Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/metrics"
}
