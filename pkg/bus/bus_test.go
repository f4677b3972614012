package bus_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/kit/endpoint"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/telemetry"
)

type echoReq struct {
	Text string `json:"text"`
}

// seen is what the server side observed from its context.
type seen struct {
	Caller      identity.Caller `json:"caller"`
	TraceID     string          `json:"trace_id"`
	HasDeadline bool            `json:"has_deadline"`
	Text        string          `json:"text"`
}

func TestRequestCarriesIdentityTraceAndDeadline(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(telemetry.Propagator())

	nc := natstest.Connect(t, natstest.Server(t))
	ep := func(ctx context.Context, req any) (any, error) {
		r := req.(echoReq)
		c, _ := identity.From(ctx)
		_, has := ctx.Deadline()
		if r.Text == "refuse" {
			return msg.Reply[seen]{Error: apierr.Policy("no-privileged", "privileged containers are not allowed")}, nil
		}
		return msg.Reply[seen]{Data: seen{Caller: c, TraceID: trace.SpanContextFromContext(ctx).TraceID().String(), HasDeadline: has, Text: r.Text}}, nil
	}
	if _, err := bus.Serve(nc, "q", 4, bus.Handlers{"test.echo": bus.NewSubscriber[echoReq](endpoint.Endpoint(ep))}); err != nil {
		t.Fatal(err)
	}

	caller := identity.Caller{UserID: "u-1", Username: "alice", Role: identity.RoleUser}
	ctx := identity.With(context.Background(), caller)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ctx, root := otel.Tracer("test").Start(ctx, "root")
	got, err := bus.Request[seen](ctx, nc, "test.echo", echoReq{Text: "hi"})
	root.End()
	if err != nil {
		t.Fatal(err)
	}
	if got.Caller != caller {
		t.Errorf("caller = %+v, want %+v", got.Caller, caller)
	}
	if want := root.SpanContext().TraceID().String(); got.TraceID != want {
		t.Errorf("server trace id %s, want %s", got.TraceID, want)
	}
	if !got.HasDeadline || got.Text != "hi" {
		t.Errorf("deadline %v text %q", got.HasDeadline, got.Text)
	}

	// The business error comes back as an *apierr.Error with its rule.
	_, err = bus.Request[seen](ctx, nc, "test.echo", echoReq{Text: "refuse"})
	var ae *apierr.Error
	if !errors.As(err, &ae) || ae.Rule != "no-privileged" {
		t.Fatalf("refusal = %v", err)
	}

	// Server and client spans share the root's trace.
	for _, s := range rec.Ended() {
		if s.SpanContext().TraceID() != root.SpanContext().TraceID() {
			t.Errorf("span %s in trace %s, want %s", s.Name(), s.SpanContext().TraceID(), root.SpanContext().TraceID())
		}
	}
	if n := len(rec.Ended()); n < 5 {
		t.Errorf("recorded %d spans, want root + 2×(client, server)", n)
	}
}

func TestStrictDecodingNamesUnknownField(t *testing.T) {
	nc := natstest.Connect(t, natstest.Server(t))
	ep := func(context.Context, any) (any, error) { return msg.Reply[msg.Empty]{}, nil }
	if _, err := bus.Serve(nc, "q", 1, bus.Handlers{"test.strict": bus.NewSubscriber[echoReq](ep)}); err != nil {
		t.Fatal(err)
	}
	_, err := bus.Request[msg.Empty](context.Background(), nc, "test.strict", map[string]any{"txet": "typo"})
	var ae *apierr.Error
	if !errors.As(err, &ae) || ae.Code != apierr.CodeInvalid {
		t.Fatalf("got %v, want invalid_argument", err)
	}
	if want := `"txet"`; !strings.Contains(ae.Message, want) {
		t.Errorf("message %q does not name %s", ae.Message, want)
	}
}

func TestNoRespondersIsUnavailable(t *testing.T) {
	nc := natstest.Connect(t, natstest.Server(t))
	_, err := bus.Request[msg.Empty](context.Background(), nc, "test.nobody", msg.Empty{})
	var ae *apierr.Error
	if !errors.As(err, &ae) || ae.Code != apierr.CodeUnavailable {
		t.Fatalf("got %v, want unavailable", err)
	}
}
