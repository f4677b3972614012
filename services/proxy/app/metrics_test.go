package app_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/metrics"
	"github.com/dockeronline/platform/pkg/metrics/metricstest"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/services/proxy/app"
	"github.com/dockeronline/platform/services/proxy/edge"
	"github.com/dockeronline/platform/services/proxy/routes"
)

// Requests to web links are counted by route and status: a link's label
// when the table has the route, "unknown" for every other host (a bad
// name, an app that has no link), so the series stay bounded.
func TestMeteredCountsByRouteLabel(t *testing.T) {
	const domain = "apps.localhost"
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "hello from the app")
	}))
	defer upstream.Close()

	nc := natstest.Connect(t, natstest.Server(t))
	cfg, err := app.LoadConfig(config.FromMap(map[string]string{
		"NATS_URL": nc.ConnectedUrl(), "APPS_DOMAIN": domain, "GATEWAY_URL": "http://gateway.test",
	}))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := app.New(cfg, nc, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	route := routes.Route{Label: "web--alice", Target: strings.TrimPrefix(upstream.URL, "http://"), Owner: "uid-alice",
		Username: "alice", Name: "web", ContainerID: "c1", Port: 80, Primary: true}
	tab, err := routes.NewTable(map[string]routes.Route{route.Label: route}, 1)
	if err != nil {
		t.Fatal(err)
	}
	svc.Routes.Swap(tab)
	reg := metrics.NewRegistry("proxy")
	public := httptest.NewServer(edge.Metered(svc.Handler, svc.Routes, domain, reg))
	defer public.Close()

	for _, req := range []struct {
		host, path string
		want       int
	}{
		{"web--alice." + domain, "/", http.StatusOK},
		{"WEB--alice." + domain + ":8000", "/", http.StatusOK}, // case and port do not make a new series
		{"web--alice." + domain, "/down", http.StatusServiceUnavailable},
		{"nothere--alice." + domain, "/", http.StatusNotFound},
		{"not-an-app.example.com", "/", http.StatusNotFound},
	} {
		r, err := http.NewRequest(http.MethodGet, public.URL+req.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Host = req.host
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != req.want {
			t.Fatalf("%s%s: status %d, want %d", req.host, req.path, res.StatusCode, req.want)
		}
	}

	mux := http.NewServeMux()
	reg.Mount(mux)
	scrape := httptest.NewServer(mux)
	defer scrape.Close()
	m := metricstest.Scrape(t, scrape.URL+"/metrics")
	for _, tc := range []struct {
		route, code string
		want        float64
	}{
		{"web--alice", "200", 2},
		{"web--alice", "503", 1},
		{edge.UnknownRoute, "404", 2},
	} {
		labels := map[string]string{"route": tc.route, "code": tc.code}
		if got, _ := m.Sum("dockeronline_proxy_requests_total", labels); got != tc.want {
			t.Errorf("%v: %v requests, want %v; series %v", labels, got, tc.want, m.Labels("dockeronline_proxy_requests_total"))
		}
	}
	if n := len(m.Labels("dockeronline_proxy_requests_total")); n != 3 {
		t.Errorf("%d series, want 3: %v", n, m.Labels("dockeronline_proxy_requests_total"))
	}
}
