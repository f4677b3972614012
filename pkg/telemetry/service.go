package telemetry

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// ServiceKey is the span attribute naming the platform service a span was
// made in. In production every service is its own process and its
// resource's service.name says it; the attribute says it per span, which
// is what tells services apart when several share one process and one
// tracer provider (the end-to-end tests), and lets a trace query filter on
// it either way.
const ServiceKey = attribute.Key("service")

type serviceKey struct{}

// WithService marks ctx, and so every span started from it or below it,
// as work of service.
func WithService(ctx context.Context, service string) context.Context {
	return context.WithValue(ctx, serviceKey{}, service)
}

// ServiceFrom returns the service ctx was marked with, or "".
func ServiceFrom(ctx context.Context) string {
	s, _ := ctx.Value(serviceKey{}).(string)
	return s
}

// ServiceHandler marks every request next serves as work of service. It
// must wrap the handler that starts the request's span (otelhttp).
func ServiceHandler(service string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(WithService(r.Context(), service)))
	})
}

// ServiceProcessor stamps each span with the service its parent context
// was marked with (ServiceKey), whichever library starts the span: the
// bus, otelhttp, the Docker client.
func ServiceProcessor() sdktrace.SpanProcessor { return serviceProcessor{} }

type serviceProcessor struct{}

func (serviceProcessor) OnStart(parent context.Context, s sdktrace.ReadWriteSpan) {
	if svc := ServiceFrom(parent); svc != "" {
		s.SetAttributes(ServiceKey.String(svc))
	}
}

func (serviceProcessor) OnEnd(sdktrace.ReadOnlySpan)      {}
func (serviceProcessor) Shutdown(context.Context) error   { return nil }
func (serviceProcessor) ForceFlush(context.Context) error { return nil }
