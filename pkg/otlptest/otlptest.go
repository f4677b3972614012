// Package otlptest is an OTLP/HTTP trace receiver for tests: an HTTP server
// on a loopback port that accepts what an OpenTelemetry exporter sends to
// POST /v1/traces (binary protobuf, gzip or not, as the platform's
// otlptracehttp exporter sends it) and keeps every span, so a test can
// check what a collector such as Tempo would be given, over the wire.
// OTLP/JSON is refused: it spells ids in hex, which protojson does not
// read, and no exporter of the platform sends it.
package otlptest

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// TracesPath is where OTLP/HTTP exporters post spans.
const TracesPath = "/v1/traces"

const protobufType = "application/x-protobuf"

// maxBody bounds one export request (the SDK's batches are far smaller).
const maxBody = 32 << 20

// Receiver collects the spans exported to it.
type Receiver struct {
	// URL is the base URL to give an exporter, e.g. as
	// OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/traces).
	URL string

	srv *httptest.Server

	mu      sync.Mutex
	spans   []Span
	exports int
	changed chan struct{} // closed and replaced on every export
}

// New starts a receiver that runs until Close. Use Start in a test; New is
// for a TestMain, which has no testing.TB.
func New() *Receiver {
	r := &Receiver{changed: make(chan struct{})}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = r.srv.URL
	return r
}

// Start starts a receiver that stops when the test ends.
func Start(t testing.TB) *Receiver {
	t.Helper()
	r := New()
	t.Cleanup(r.Close)
	return r
}

// Close stops the receiver.
func (r *Receiver) Close() { r.srv.Close() }

// Spans returns every span received so far, in arrival order.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

// Exports counts the export requests accepted so far.
func (r *Receiver) Exports() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.exports
}

// Trace returns the received spans of one trace (id in hex).
func (r *Receiver) Trace(traceID string) []Span {
	var out []Span
	for _, s := range r.Spans() {
		if s.TraceID == traceID {
			out = append(out, s)
		}
	}
	return out
}

// Wait waits until done holds for the spans received (checked now and
// after every export) or timeout passes, and returns the spans it last
// checked and whether done held. Exporters send in batches, on their own
// schedule: a test waits for what it expects rather than sleeping.
func (r *Receiver) Wait(timeout time.Duration, done func([]Span) bool) ([]Span, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		r.mu.Lock()
		spans, changed := append([]Span(nil), r.spans...), r.changed
		r.mu.Unlock()
		if done(spans) {
			return spans, true
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return spans, false
		}
	}
}

// serve answers one export as an OTLP/HTTP collector does: 200 with an
// (empty) ExportTraceServiceResponse, 4xx for what no exporter should send.
func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path != TracesPath {
		http.NotFound(w, req)
		return
	}
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "only POST", http.StatusMethodNotAllowed)
		return
	}
	if ct, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); ct != protobufType {
		http.Error(w, fmt.Sprintf("unsupported content type %q", ct), http.StatusUnsupportedMediaType)
		return
	}
	body, err := readBody(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var export coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &export); err != nil {
		http.Error(w, "bad export request: "+err.Error(), http.StatusBadRequest)
		return
	}
	got := flatten(export.GetResourceSpans())
	r.mu.Lock()
	r.spans = append(r.spans, got...)
	r.exports++
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()

	out, err := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", protobufType)
	_, _ = w.Write(out)
}

func readBody(req *http.Request) ([]byte, error) {
	var rd io.Reader = http.MaxBytesReader(nil, req.Body, maxBody)
	switch req.Header.Get("Content-Encoding") {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(rd)
		if err != nil {
			return nil, fmt.Errorf("bad gzip body: %w", err)
		}
		defer zr.Close()
		rd = io.LimitReader(zr, maxBody)
	default:
		return nil, fmt.Errorf("unsupported content encoding %q", req.Header.Get("Content-Encoding"))
	}
	return io.ReadAll(rd)
}
