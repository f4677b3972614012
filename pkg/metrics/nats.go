package metrics

import (
	"time"

	"go.opentelemetry.io/otel/trace"
)

// ObserveHandler records one NATS command handled on subject (the
// subscription's subject, never a per-message one) and how it ended: "ok"
// or the error code of the reply. A sampled span becomes the observation's
// exemplar. It makes *Registry a bus.HandlerObserver: a service hands its
// registry to bus.ObserveHandlers for its connection.
func (r *Registry) ObserveHandler(subject, outcome string, d time.Duration, span trace.SpanContext) {
	observe(r.natsHandler.WithLabelValues(subject, outcome), d.Seconds(), span)
}
