package telemetry_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/dockeronline/platform/pkg/telemetry"
)

// A span names the service its context was marked with, whoever starts it
// and however deep below the mark; an unmarked context gives no name.
func TestSpansNameTheServiceOfTheirContext(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(telemetry.ServiceProcessor()), sdktrace.WithSpanProcessor(rec))
	tr := tp.Tracer("test")

	// Marked by an HTTP handler, as the gateway marks its requests.
	h := telemetry.ServiceHandler("gateway", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		ctx, parent := tr.Start(r.Context(), "http")
		_, child := tr.Start(ctx, "below")
		child.End()
		parent.End()
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	// Marked directly, as a service's Run marks its background work; a
	// later mark wins.
	ctx := telemetry.WithService(context.Background(), "runner")
	_, sp := tr.Start(ctx, "background")
	sp.End()
	_, sp = tr.Start(telemetry.WithService(ctx, "auth"), "remarked")
	sp.End()
	_, sp = tr.Start(context.Background(), "unmarked")
	sp.End()

	want := map[string]string{"http": "gateway", "below": "gateway", "background": "runner", "remarked": "auth", "unmarked": ""}
	got := map[string]string{}
	for _, s := range rec.Ended() {
		got[s.Name()] = ""
		for _, kv := range s.Attributes() {
			if kv.Key == telemetry.ServiceKey {
				got[s.Name()] = kv.Value.AsString()
			}
		}
	}
	for name, svc := range want {
		if g, ok := got[name]; !ok || g != svc {
			t.Errorf("span %q: service %q (recorded %v), want %q", name, g, ok, svc)
		}
	}
	if telemetry.ServiceFrom(context.Background()) != "" || telemetry.ServiceFrom(ctx) != "runner" {
		t.Error("ServiceFrom does not read the mark back")
	}
}
