package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/dockeronline/platform/e2e/stack"
)

// TestOneTraceFromGatewayToDocker: one API call gives one trace holding the
// gateway's HTTP span, the NATS request, the runner's handling of it and the
// runner's call to the Docker Engine API, each the child of the one before.
func TestOneTraceFromGatewayToDocker(t *testing.T) {
	s := stack.Start(t)
	u := s.Register(t, stack.UniqueName("dave"))
	if r := s.Call(t, u.Token, http.MethodGet, "/api/v1/containers", nil); r.Status != http.StatusOK {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	var root sdktrace.ReadOnlySpan
	deadline := time.Now().Add(10 * time.Second)
	for root == nil && time.Now().Before(deadline) {
		for _, sp := range spans.Ended() {
			if sp.Name() == "GET /api/v1/containers" && sp.SpanKind() == trace.SpanKindServer {
				root = sp
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if root == nil {
		t.Fatal("no gateway span for GET /api/v1/containers")
	}
	inTrace := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, sp := range spans.Ended() {
		if sp.SpanContext().TraceID() == root.SpanContext().TraceID() {
			inTrace[sp.SpanContext().SpanID()] = sp
		}
	}
	find := func(match func(sdktrace.ReadOnlySpan) bool) sdktrace.ReadOnlySpan {
		for _, sp := range inTrace {
			if match(sp) {
				return sp
			}
		}
		return nil
	}
	pub := find(func(sp sdktrace.ReadOnlySpan) bool { return sp.Name() == "nats.request cmd.runner.container.list" })
	srv := find(func(sp sdktrace.ReadOnlySpan) bool { return sp.Name() == "nats.serve cmd.runner.container.list" })
	dock := find(func(sp sdktrace.ReadOnlySpan) bool {
		return sp.SpanKind() == trace.SpanKindClient && strings.Contains(sp.Name(), "containers/json") ||
			sp.SpanKind() == trace.SpanKindClient && srv != nil && sp.Parent().SpanID() == srv.SpanContext().SpanID()
	})
	if pub == nil || srv == nil || dock == nil {
		var names []string
		for _, sp := range inTrace {
			names = append(names, sp.Name())
		}
		t.Fatalf("trace %s is missing hops; spans: %v", root.SpanContext().TraceID(), names)
	}
	if !descends(pub, root, inTrace) || srv.Parent().SpanID() != pub.SpanContext().SpanID() || dock.Parent().SpanID() != srv.SpanContext().SpanID() {
		t.Fatalf("spans not linked: root %s, publish parent %s, serve parent %s, docker parent %s",
			root.SpanContext().SpanID(), pub.Parent().SpanID(), srv.Parent().SpanID(), dock.Parent().SpanID())
	}
}

// descends reports whether sp has anc among its ancestors.
func descends(sp, anc sdktrace.ReadOnlySpan, all map[trace.SpanID]sdktrace.ReadOnlySpan) bool {
	for p := sp.Parent().SpanID(); p.IsValid(); {
		if p == anc.SpanContext().SpanID() {
			return true
		}
		next, ok := all[p]
		if !ok {
			return false
		}
		p = next.Parent().SpanID()
	}
	return false
}
