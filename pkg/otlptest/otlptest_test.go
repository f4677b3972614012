package otlptest_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/dockeronline/platform/pkg/otlptest"
)

// The real OTLP/HTTP exporter, as telemetry.Setup builds it, delivers
// spans to the receiver with their ids, parent link, kind, attributes,
// scope and resource intact, compressed or not.
func TestReceivesWhatTheExporterSends(t *testing.T) {
	for _, tc := range []struct {
		name        string
		compression otlptracehttp.Compression
	}{
		{"plain", otlptracehttp.NoCompression},
		{"gzip", otlptracehttp.GzipCompression},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rcv := otlptest.Start(t)
			ctx := context.Background()
			exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(rcv.URL+otlptest.TracesPath),
				otlptracehttp.WithCompression(tc.compression))
			if err != nil {
				t.Fatal(err)
			}
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp),
				sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName("svc-"+tc.name))))
			tr := tp.Tracer("dockeronline/test")
			ctx, parent := tr.Start(ctx, "parent", trace.WithSpanKind(trace.SpanKindServer))
			_, child := tr.Start(ctx, "child", trace.WithSpanKind(trace.SpanKindClient),
				trace.WithAttributes(attribute.String("s", "x"), attribute.Int("n", 7), attribute.StringSlice("l", []string{"a", "b"})))
			child.End()
			parent.End()
			if err := tp.Shutdown(context.Background()); err != nil { // flushes
				t.Fatal(err)
			}

			spans := rcv.Trace(parent.SpanContext().TraceID().String())
			if len(spans) != 2 {
				t.Fatalf("received %d spans of the trace, want 2: %v", len(spans), rcv.Spans())
			}
			byName := map[string]otlptest.Span{}
			for _, s := range spans {
				byName[s.Name] = s
			}
			p, c := byName["parent"], byName["child"]
			checks := []struct {
				what      string
				got, want any
			}{
				{"parent id", p.SpanID, parent.SpanContext().SpanID().String()},
				{"parent is a root", p.ParentSpanID, ""},
				{"child's parent", c.ParentSpanID, p.SpanID},
				{"parent kind", p.Kind, tracepb.Span_SPAN_KIND_SERVER},
				{"child kind", c.Kind, tracepb.Span_SPAN_KIND_CLIENT},
				{"string attribute", c.Attributes["s"], "x"},
				{"int attribute", c.Attributes["n"], "7"},
				{"slice attribute", c.Attributes["l"], "[a b]"},
				{"scope", c.Scope, "dockeronline/test"},
				{"service.name", c.Resource["service.name"], "svc-" + tc.name},
			}
			for _, ck := range checks {
				if ck.got != ck.want {
					t.Errorf("%s = %v, want %v", ck.what, ck.got, ck.want)
				}
			}
		})
	}
}

// What no exporter sends is refused as a collector would refuse it, and
// nothing is kept.
func TestRefusesWhatIsNotAnExport(t *testing.T) {
	rcv := otlptest.Start(t)
	for _, tc := range []struct {
		name, method, path, contentType, encoding, body string
		want                                            int
	}{
		{"wrong path", http.MethodPost, "/v1/metrics", "application/x-protobuf", "", "", http.StatusNotFound},
		{"GET", http.MethodGet, otlptest.TracesPath, "", "", "", http.StatusMethodNotAllowed},
		{"text body", http.MethodPost, otlptest.TracesPath, "text/plain", "", "hello", http.StatusUnsupportedMediaType},
		{"not protobuf", http.MethodPost, otlptest.TracesPath, "application/x-protobuf", "", "\xff\xff\xff", http.StatusBadRequest},
		{"not gzip", http.MethodPost, otlptest.TracesPath, "application/x-protobuf", "gzip", "plain", http.StatusBadRequest},
		{"unknown encoding", http.MethodPost, otlptest.TracesPath, "application/x-protobuf", "br", "", http.StatusBadRequest},
		{"OTLP/JSON", http.MethodPost, otlptest.TracesPath, "application/json", "", "{}", http.StatusUnsupportedMediaType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, rcv.URL+tc.path, bytes.NewBufferString(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			if tc.encoding != "" {
				req.Header.Set("Content-Encoding", tc.encoding)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tc.want {
				t.Errorf("status %d, want %d", res.StatusCode, tc.want)
			}
		})
	}
	if n := rcv.Exports(); n != 0 {
		t.Errorf("%d exports accepted, want 0", n)
	}
}

// Wait returns as soon as the spans it waits for arrive, however the
// exporter batches them.
func TestWaitSeesSpansAsTheyArrive(t *testing.T) {
	rcv := otlptest.Start(t)
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(rcv.URL+otlptest.TracesPath))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	names := []string{"one", "two", "three"}
	go func() {
		for _, n := range names {
			_, sp := tp.Tracer("t").Start(context.Background(), n)
			sp.End()
			_ = tp.ForceFlush(context.Background()) // one export per span
		}
	}()
	spans, ok := rcv.Wait(time.Minute, func(s []otlptest.Span) bool { return len(s) == len(names) })
	if !ok {
		t.Fatalf("got %v, want spans %v", spans, names)
	}
	for i, n := range names {
		if spans[i].Name != n {
			t.Errorf("span %d = %q, want %q", i, spans[i].Name, n)
		}
	}
	if n := rcv.Exports(); n != len(names) {
		t.Errorf("%d exports, want %d", n, len(names))
	}
}
