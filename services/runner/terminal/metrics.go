package terminal

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dockeronline/platform/pkg/metrics"
)

// Collector is dockeronline_terminal_sessions: the sessions this runner
// holds open now (an open still in progress is not counted yet). It is
// read from the session table when Prometheus scrapes, so it cannot drift.
func (s *Server) Collector() prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: metrics.Namespace, Name: "terminal_sessions",
		Help: "Terminal sessions open on this runner.",
	}, func() float64 {
		if s.m == nil { // a bad configuration: Run reports it
			return 0
		}
		return float64(len(s.m.live()))
	})
}
