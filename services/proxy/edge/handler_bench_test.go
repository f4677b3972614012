package edge

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dockeronline/platform/pkg/telemetry"

	"github.com/dockeronline/platform/services/proxy/routes"
)

// cannedTransport answers every request at once, so the benchmark measures
// the proxy's own work per request (parse, lookup, rewrite, copy), not the
// network.
type cannedTransport struct{ body string }

func (c cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"text/html"}},
		Body:          io.NopCloser(strings.NewReader(c.body)),
		ContentLength: int64(len(c.body)), Request: r,
	}, nil
}

func benchHandler(b *testing.B) *Handler {
	gw, _ := url.Parse("http://gateway.test")
	table := &routes.Routes{}
	tab, err := routes.NewTable(map[string]routes.Route{"web--alice": goodRoute("web--alice", "10.0.0.2:80")}, 1)
	if err != nil {
		b.Fatal(err)
	}
	table.Swap(tab)
	log := testLogger()
	l := &links{secret: testSecret, gateway: gw, ttl: time.Hour, tickets: newTickets(), now: time.Now, log: log}
	return &Handler{domain: testDomain, routes: table, links: l, rp: newReverseProxy(cannedTransport{strings.Repeat("x", 550)}, l, log), log: log}
}

// BenchmarkHandler: go test -run '^$' -bench Handler -benchmem
func BenchmarkHandler(b *testing.B) {
	for _, traced := range []bool{false, true} {
		name := "noop-tracer"
		if traced {
			name = "sdk-tracer"
			stop, err := telemetry.Setup(context.Background(), "proxy-bench")
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = stop(context.Background()) })
		}
		b.Run(name, func(b *testing.B) {
			h := benchHandler(b)
			h.trace = traced
			req := httptest.NewRequest(http.MethodGet, "http://web--alice.apps.localhost:8000/index.html", nil)
			req.RemoteAddr = "127.0.0.1:5555"
			req.Header.Set("User-Agent", "bench")
			req.Header.Set("Cookie", "a=1; b=2")
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
