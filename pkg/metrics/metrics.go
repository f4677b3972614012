// Package metrics is the platform's Prometheus side: one registry per
// service (Go runtime and process collectors included), the handler that
// serves it on the service's internal listener (/metrics beside /healthz),
// the HTTP request metrics and the NATS command handler histogram.
//
// Every service gets its own registry rather than the global default one:
// tests run several services in one process, and each must serve only its
// own numbers. Names are the ones the Grafana dashboards and alert rules in
// deploy/ query; they are part of the platform's interface.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/trace"
)

// Namespace prefixes every platform metric.
const Namespace = "dockeronline"

// Buckets are the latency buckets (seconds) of the request and handler
// histograms: Prometheus' defaults plus 30s, since Docker calls (a create
// that pulls a layer, a stop that waits for the grace period) run long.
var Buckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// Registry is one service's metrics.
type Registry struct {
	*prometheus.Registry
	service string

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	natsHandler  *prometheus.HistogramVec
}

// NewRegistry returns service's registry with the Go runtime and process
// collectors and the platform's request metrics registered.
func NewRegistry(service string) *Registry {
	r := &Registry{Registry: prometheus.NewRegistry(), service: service}
	svc := prometheus.Labels{"service": service}
	r.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "http_requests_total",
		Help:        "HTTP requests served, by route pattern, method and status code.",
		ConstLabels: svc,
	}, []string{"route", "method", "code"})
	r.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "http_request_duration_seconds",
		Help:        "Time to serve an HTTP request (to the end of the handler), by route pattern and method.",
		ConstLabels: svc, Buckets: Buckets,
	}, []string{"route", "method"})
	r.natsHandler = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "nats_handler_duration_seconds",
		Help:        "Time to handle a NATS command, by subject and outcome (ok or the error code of the reply).",
		ConstLabels: svc, Buckets: Buckets,
	}, []string{"subject", "outcome"})
	r.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		r.httpRequests, r.httpDuration, r.natsHandler,
	)
	return r
}

// Service is the service the registry belongs to.
func (r *Registry) Service() string { return r.service }

// Handler serves the registry in Prometheus' text (or OpenMetrics) format.
// A collector that fails (Docker unreachable at scrape time, say) leaves its
// own series out; the rest are still served.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.Registry, promhttp.HandlerOpts{
		ErrorHandling:     promhttp.ContinueOnError,
		Registry:          r.Registry, // promhttp_metric_handler_errors_total
		EnableOpenMetrics: true,
	})
}

// ExemplarLabel names the trace id in an exemplar: what Grafana's
// Prometheus data source follows to Tempo (exemplarTraceIdDestinations in
// deploy/grafana).
const ExemplarLabel = "trace_id"

// observe records v, with the span's trace as exemplar when the trace is
// sampled (an unsampled one is in no trace store to be led to). Exemplars
// are served in the OpenMetrics format, which Prometheus asks for.
func observe(o prometheus.Observer, v float64, span trace.SpanContext) {
	if eo, ok := o.(prometheus.ExemplarObserver); ok && span.IsSampled() {
		eo.ObserveWithExemplar(v, prometheus.Labels{ExemplarLabel: span.TraceID().String()})
		return
	}
	o.Observe(v)
}

// Mount serves the registry at GET /metrics on mux (a service's health mux).
func (r *Registry) Mount(mux *http.ServeMux) {
	mux.Handle("GET /metrics", r.Handler())
}
