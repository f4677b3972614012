package edge

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dockeronline/platform/pkg/metrics"

	"github.com/dockeronline/platform/services/proxy/routes"
)

// UnknownRoute is the route label of a request for a host that is no
// app's: a bad name, or a container that has no link (any more).
const UnknownRoute = "unknown"

// Metered counts every request next serves into
// dockeronline_proxy_requests_total{route,code}, registered in reg. The
// route is the host's label ("web--alice") when the table has it, so the
// series are bounded by the routes that existed: a scanner trying random
// names only ever adds to "unknown".
//
// Wire it before PublicServer, with /metrics on the internal listener:
//
//	reg := metrics.NewRegistry("proxy")
//	svc.Handler = edge.Metered(svc.Handler, svc.Routes, cfg.AppsDomain, reg)
//	mux := health.Handler(svc.Checks())
//	reg.Mount(mux)
func Metered(next http.Handler, table *routes.Routes, domain string, reg prometheus.Registerer) http.Handler {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: metrics.Namespace, Name: "proxy_requests_total",
		Help: "Requests to web links, by route (the host's label, or unknown) and status code.",
	}, []string{"route", "code"})
	reg.MustRegister(requests)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route := UnknownRoute
		if label, _, err := routes.ParseHost(r.Host, domain); err == nil {
			if _, ok := table.Load().Lookup(label); ok {
				route = label
			}
		}
		metrics.ServeObserved(next, w, r, func(code int, _ time.Duration) {
			requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
		})
	})
}
