package bus_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-kit/kit/endpoint"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/metrics"
	"github.com/dockeronline/platform/pkg/metrics/metricstest"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/telemetry"
)

// Every command Serve handles is timed into the service's registry under
// its subscription subject with its outcome: ok, the business error's
// code, the code of a request that did not decode or of an endpoint that
// failed outright. The registry may be attached after Serve (features
// subscribe on their own); a forgotten one hears nothing more, and
// forgetting a replaced one leaves its replacement attached. The server
// span of a traced command is its observation's exemplar.
func TestServeReportsHandlerOutcomes(t *testing.T) {
	otel.SetTracerProvider(sdktrace.NewTracerProvider())
	otel.SetTextMapPropagator(telemetry.Propagator())
	srv := natstest.Server(t)
	served, err := nats.Connect(srv.ClientURL(), nats.Name("svc"))
	if err != nil {
		t.Fatal(err)
	}
	defer served.Close()
	client := natstest.Connect(t, srv)

	ep := func(_ context.Context, req any) (any, error) {
		switch req.(echoReq).Text {
		case "refuse":
			return msg.Reply[msg.Empty]{Error: apierr.Policy("no-privileged", "no")}, nil
		case "break":
			return nil, errors.New("the endpoint failed")
		}
		return msg.Reply[msg.Empty]{}, nil
	}
	// One at a time (limit 1): a command's handling, its report included,
	// is over before the next one starts, so the reply to the last
	// command ("test.barrier") means every earlier one was reported.
	if _, err := bus.Serve(served, "q", 1, bus.Handlers{
		"test.cmd":     bus.NewSubscriber[echoReq](endpoint.Endpoint(ep)),
		"test.barrier": bus.NewSubscriber[echoReq](endpoint.Endpoint(ep)),
	}); err != nil {
		t.Fatal(err)
	}
	forgotten, replaced, reg := metrics.NewRegistry("svc"), metrics.NewRegistry("svc"), metrics.NewRegistry("svc")
	bus.ObserveHandlers(served, forgotten)()
	forgetReplaced := bus.ObserveHandlers(served, replaced)
	bus.ObserveHandlers(served, reg)
	forgetReplaced()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, body := range []any{
		echoReq{Text: "hi"}, echoReq{Text: "hi"}, echoReq{Text: "break"}, map[string]string{"txet": "typo"},
	} {
		// Errors are expected for some; the outcome is what is checked.
		_, _ = bus.Request[msg.Empty](ctx, client, "test.cmd", body)
	}
	traced, root := otel.Tracer("test").Start(ctx, "root")
	_, _ = bus.Request[msg.Empty](traced, client, "test.cmd", echoReq{Text: "refuse"})
	root.End()
	if _, err := bus.Request[msg.Empty](ctx, client, "test.barrier", echoReq{Text: "hi"}); err != nil {
		t.Fatal(err)
	}

	m := metricstest.Scrape(t, serveRegistry(t, reg))
	for _, tc := range []struct {
		outcome string
		want    float64
	}{
		{bus.OutcomeOK, 2},
		{string(apierr.CodePolicy), 1},
		{string(apierr.CodeInternal), 1},
		{string(apierr.CodeInvalid), 1},
	} {
		labels := map[string]string{"service": "svc", "subject": "test.cmd", "outcome": tc.outcome}
		if got, _ := m.Sum("dockeronline_nats_handler_duration_seconds", labels); got != tc.want {
			t.Errorf("%v: %v observations, want %v; series %v", labels, got, tc.want, m.Labels("dockeronline_nats_handler_duration_seconds"))
		}
	}
	if got := exemplars(t, reg, string(apierr.CodePolicy)); len(got) != 1 || got[0] != root.SpanContext().TraceID().String() {
		t.Errorf("exemplars of the traced command: %v, want its trace %s", got, root.SpanContext().TraceID())
	}
	for name, r := range map[string]*metrics.Registry{"forgotten": forgotten, "replaced": replaced} {
		if got, _ := metricstest.Scrape(t, serveRegistry(t, r)).Sum("dockeronline_nats_handler_duration_seconds", nil); got != 0 {
			t.Errorf("the %s registry heard %v commands, want 0", name, got)
		}
	}
}

// The server span of a command, and every span started below it, name the
// service that served it (its connection's name); the requester's client
// span names the requester's service, taken from its context.
func TestSpansNameTheirService(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(telemetry.ServiceProcessor()), sdktrace.WithSpanProcessor(rec))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(telemetry.Propagator())

	srv := natstest.Server(t)
	runner, err := nats.Connect(srv.ClientURL(), nats.Name("runner"))
	if err != nil {
		t.Fatal(err)
	}
	defer runner.Close()
	gateway := natstest.Connect(t, srv)

	ep := func(ctx context.Context, _ any) (any, error) {
		_, span := otel.Tracer("docker").Start(ctx, "docker call", trace.WithSpanKind(trace.SpanKindClient))
		span.End()
		return msg.Reply[msg.Empty]{}, nil
	}
	if _, err := bus.Serve(runner, "q", 1, bus.Handlers{"test.svc": bus.NewSubscriber[echoReq](endpoint.Endpoint(ep))}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(telemetry.WithService(context.Background(), "gateway"), 10*time.Second)
	defer cancel()
	if _, err := bus.Request[msg.Empty](ctx, gateway, "test.svc", echoReq{Text: "hi"}); err != nil {
		t.Fatal(err)
	}

	want := map[string]string{"nats.request test.svc": "gateway", "nats.serve test.svc": "runner", "docker call": "runner"}
	deadline := time.Now().Add(10 * time.Second)
	got := map[string]string{}
	for len(got) < len(want) && time.Now().Before(deadline) {
		for _, sp := range rec.Ended() {
			for _, kv := range sp.Attributes() {
				if kv.Key == telemetry.ServiceKey {
					got[sp.Name()] = kv.Value.AsString()
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	for name, svc := range want {
		if got[name] != svc {
			t.Errorf("span %q: service %q, want %q", name, got[name], svc)
		}
	}
}

func serveRegistry(t *testing.T, reg *metrics.Registry) string {
	t.Helper()
	mux := http.NewServeMux()
	reg.Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/metrics"
}

// exemplars returns the trace ids of the handler histogram's exemplars for
// outcome.
func exemplars(t *testing.T, reg *metrics.Registry, outcome string) []string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, mf := range mfs {
		if mf.GetName() != "dockeronline_nats_handler_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := false
			for _, l := range m.GetLabel() {
				match = match || l.GetName() == "outcome" && l.GetValue() == outcome
			}
			for _, b := range m.GetHistogram().GetBucket() {
				for _, l := range b.GetExemplar().GetLabel() {
					if match && l.GetName() == metrics.ExemplarLabel {
						ids = append(ids, l.GetValue())
					}
				}
			}
		}
	}
	return ids
}
