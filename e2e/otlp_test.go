package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/dockeronline/platform/e2e/stack"
	"github.com/dockeronline/platform/pkg/otlptest"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/pkg/telemetry"
)

// TestOneTraceReachesTheCollector (issue 10): one API call gives one trace
// that arrives over OTLP/HTTP, through the services' real exporter, at a
// real receiver — the gateway's HTTP server span, its NATS request, the
// runner's handling of it and the runner's call to the Docker Engine API,
// each the child of the one before, plus auth's session check on the way;
// each naming the service it was made in, every span of the trace linked
// to a parent that is in the trace, and every one carrying its resource's
// service.name.
func TestOneTraceReachesTheCollector(t *testing.T) {
	s := stack.Start(t)
	u := s.Register(t, stack.UniqueName("olga"))
	if r := s.Call(t, u.Token, http.MethodGet, "/api/v1/containers", nil); r.Status != http.StatusOK {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}

	// The runner's server span names the caller: it finds this call's
	// trace among those of every other test of the run.
	const subject = "cmd.runner.container.list"
	var hops otlpTrace
	_, ok := collector.Wait(time.Minute, func(all []otlptest.Span) bool {
		hops = findTrace(all, subject, u.UserID)
		return hops.complete()
	})
	if !ok {
		t.Fatalf("no complete trace of GET /api/v1/containers for %s arrived: %s\nspans of the trace: %v",
			u.UserID, hops.missing(), hops.spans)
	}

	checks := []struct {
		what      string
		got, want any
	}{
		{"gateway span name", hops.root.Name, "GET /api/v1/containers"},
		{"gateway span kind", hops.root.Kind, tracepb.Span_SPAN_KIND_SERVER},
		{"gateway span is the trace's root", hops.root.ParentSpanID, ""},
		{"gateway span's service", hops.root.Attributes[string(telemetry.ServiceKey)], "gateway"},
		{"NATS request descends from the gateway span", hops.descends(hops.request, hops.root), true},
		{"NATS request kind", hops.request.Kind, tracepb.Span_SPAN_KIND_CLIENT},
		{"NATS request's service", hops.request.Attributes[string(telemetry.ServiceKey)], "gateway"},
		{"runner's handling is the request's child", hops.serve.ParentSpanID, hops.request.SpanID},
		{"runner's handling kind", hops.serve.Kind, tracepb.Span_SPAN_KIND_SERVER},
		{"runner's handling's service", hops.serve.Attributes[string(telemetry.ServiceKey)], "runner"},
		{"Docker call is the handling's child", hops.docker.ParentSpanID, hops.serve.SpanID},
		{"Docker call kind", hops.docker.Kind, tracepb.Span_SPAN_KIND_CLIENT},
		{"Docker call's service", hops.docker.Attributes[string(telemetry.ServiceKey)], "runner"},
		{"Docker call is the Engine API's container list", strings.Contains(hops.docker.Name+" "+hops.docker.Attributes["url.full"], "/containers/json"), true},
		// The gateway authenticated the call with the auth service first.
		{"auth's session check is in the trace", hops.auth.Name, "nats.serve " + subjects.AuthSessionCheck},
		{"auth's session check's service", hops.auth.Attributes[string(telemetry.ServiceKey)], "auth"},
		{"auth's session check descends from the gateway span", hops.descends(hops.auth, hops.root), true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.what, c.got, c.want)
		}
	}
	for _, sp := range hops.spans {
		if sp.Resource["service.name"] == "" {
			t.Errorf("span %q has no service.name in its resource", sp.Name)
		}
		if sp.ParentSpanID != "" && hops.byID[sp.ParentSpanID].SpanID == "" {
			t.Errorf("span %q's parent %s is not in the trace", sp.Name, sp.ParentSpanID)
		}
	}
}

// otlpTrace is one trace's spans as the collector received them, with the
// hops of a gateway → NATS → runner → Docker call picked out.
type otlpTrace struct {
	spans                        []otlptest.Span
	byID                         map[string]otlptest.Span
	root, request, serve, docker otlptest.Span
	auth                         otlptest.Span // the session check on the way
}

// findTrace picks the trace in which the runner served subject for user.
func findTrace(all []otlptest.Span, subject, user string) otlpTrace {
	tr := otlpTrace{byID: map[string]otlptest.Span{}}
	for _, sp := range all {
		if sp.Name == "nats.serve "+subject && sp.Attributes["user.id"] == user {
			tr.serve = sp
		}
	}
	if tr.serve.TraceID == "" {
		return tr
	}
	for _, sp := range all {
		if sp.TraceID == tr.serve.TraceID {
			tr.spans = append(tr.spans, sp)
			tr.byID[sp.SpanID] = sp
		}
	}
	for _, sp := range tr.spans {
		switch {
		case sp.ParentSpanID == "":
			tr.root = sp
		case sp.Name == "nats.request "+subject:
			tr.request = sp
		case sp.Kind == tracepb.Span_SPAN_KIND_CLIENT && sp.ParentSpanID == tr.serve.SpanID:
			tr.docker = sp
		case sp.Name == "nats.serve "+subjects.AuthSessionCheck:
			tr.auth = sp
		}
	}
	return tr
}

// complete: every hop arrived, and every span's parent with it (a parent
// ends, and so is exported, after its children).
func (tr otlpTrace) complete() bool {
	if tr.missing() != "" {
		return false
	}
	for _, sp := range tr.spans {
		if sp.ParentSpanID != "" && tr.byID[sp.ParentSpanID].SpanID == "" {
			return false
		}
	}
	return true
}

func (tr otlpTrace) missing() string {
	var m []string
	for name, sp := range map[string]otlptest.Span{"the runner's handling": tr.serve, "the gateway's root span": tr.root,
		"the NATS request": tr.request, "the Docker call": tr.docker, "the session check": tr.auth} {
		if sp.SpanID == "" {
			m = append(m, name)
		}
	}
	return strings.Join(m, ", ")
}

// descends reports whether sp has anc among its ancestors.
func (tr otlpTrace) descends(sp, anc otlptest.Span) bool {
	for p := sp.ParentSpanID; p != ""; p = tr.byID[p].ParentSpanID {
		if p == anc.SpanID {
			return true
		}
	}
	return false
}
