package app

import (
	"net/http"
	"strings"
	"testing"
)

// The proxy's public listener never serves its own /metrics (that is on
// HTTP_ADDR, the internal listener): whatever host a client names that is
// not an app, /metrics is a 404 page without a metric in it.
func TestPublicListenerHasNoMetrics(t *testing.T) {
	e := newEnv(t)
	for _, host := range []string{e.addr, "127.0.0.1", testDomain, "nope--alice." + testDomain, "localhost"} {
		for _, path := range []string{"/metrics", "/metrics/", "/healthz", "/readyz"} {
			r := e.get(host, path)
			if r.status != http.StatusNotFound || strings.Contains(r.body, "_requests_total") || strings.Contains(r.body, "go_goroutines") {
				t.Errorf("GET %s%s on the public listener: %d %s", host, path, r.status, clip(r.body))
			}
		}
	}
}
