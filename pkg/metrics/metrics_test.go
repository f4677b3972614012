package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel/trace"

	"github.com/dockeronline/platform/pkg/metrics"
	"github.com/dockeronline/platform/pkg/metrics/metricstest"
)

// A registry serves the Go runtime and process metrics beside the
// platform's, and only its own service's observations: two services in
// one process do not see each other's numbers.
func TestRegistriesAreSeparateAndCarryRuntimeMetrics(t *testing.T) {
	a, b := metrics.NewRegistry("a"), metrics.NewRegistry("b")
	a.ObserveHandler("cmd.a.x", "ok", 20*time.Millisecond, trace.SpanContext{})
	a.ObserveHandler("cmd.a.x", "not_found", time.Millisecond, trace.SpanContext{})

	ma, mb := metricstest.Scrape(t, scrapeURL(t, a)), metricstest.Scrape(t, scrapeURL(t, b))
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "process_resident_memory_bytes"} {
		if _, ok := ma.Sum(name, nil); !ok {
			t.Errorf("%s missing", name)
		}
	}
	for _, tc := range []struct {
		m       metricstest.Families
		outcome string
		want    float64
	}{
		{ma, "ok", 1}, {ma, "not_found", 1}, {mb, "ok", 0},
	} {
		got, _ := tc.m.Sum("dockeronline_nats_handler_duration_seconds", map[string]string{"subject": "cmd.a.x", "outcome": tc.outcome})
		if got != tc.want {
			t.Errorf("outcome %s: %v observations, want %v", tc.outcome, got, tc.want)
		}
	}
	if got, _ := ma.Sum("dockeronline_nats_handler_duration_seconds", map[string]string{"service": "a"}); got != 2 {
		t.Errorf("service label: %v observations for service a, want 2", got)
	}
	if a.Service() != "a" {
		t.Errorf("Service() = %q", a.Service())
	}
}

// A latency observation made within a sampled trace carries the trace id
// as its exemplar (Grafana leads from the latency panel to the trace in
// Tempo); one made within an unsampled trace, or none, carries nothing,
// since there is no trace to be led to.
func TestLatencyExemplarsLeadToSampledTraces(t *testing.T) {
	sampled := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4}, TraceFlags: trace.FlagsSampled})
	unsampled := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{5}, SpanID: trace.SpanID{6}})
	for _, tc := range []struct {
		name string
		span trace.SpanContext
		want string // the exemplar's trace_id; "" for none
	}{
		{"sampled", sampled, sampled.TraceID().String()},
		{"unsampled", unsampled, ""},
		{"no trace", trace.SpanContext{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := metrics.NewRegistry("svc")
			reg.ObserveHandler("cmd.x", "ok", time.Millisecond, tc.span)
			h := reg.HTTPMiddleware(func(*http.Request) string { return "/x" })(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			req := httptest.NewRequest(http.MethodGet, "/x", nil)
			h.ServeHTTP(httptest.NewRecorder(), req.WithContext(trace.ContextWithSpanContext(req.Context(), tc.span)))

			for _, name := range []string{"dockeronline_nats_handler_duration_seconds", "dockeronline_http_request_duration_seconds"} {
				if got := exemplarTraceID(t, reg, name); got != tc.want {
					t.Errorf("%s: exemplar trace_id %q, want %q", name, got, tc.want)
				}
			}
		})
	}
}

// exemplarTraceID returns the trace_id of the one exemplar of family name.
func exemplarTraceID(t *testing.T, reg *metrics.Registry, name string) string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, b := range m.GetHistogram().GetBucket() {
				ids = append(ids, traceIDOf(b.GetExemplar())...)
			}
		}
	}
	if len(ids) > 1 {
		t.Fatalf("%s: %d exemplars for one observation", name, len(ids))
	}
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

func traceIDOf(e *dto.Exemplar) []string {
	for _, l := range e.GetLabel() {
		if l.GetName() == metrics.ExemplarLabel {
			return []string{l.GetValue()}
		}
	}
	return nil
}
