package hostaccount_test

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// Each account operation is a span naming the user, and every SSH command
// it runs is a child span in the same trace.
func TestOperationsAreTraced(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	h := newHost(t)
	if err := h.m.Ensure(context.Background(), "u-1", "tracy"); err != nil {
		t.Fatal(err)
	}
	var op sdktrace.ReadOnlySpan
	var commands []string
	for _, s := range rec.Ended() {
		if s.Name() == "hostaccount.ensure" {
			op = s
		}
	}
	if op == nil {
		t.Fatal("no hostaccount.ensure span")
	}
	if !hasAttr(op.Attributes(), "user.name", "tracy") || !hasAttr(op.Attributes(), "user.id", "u-1") {
		t.Errorf("ensure span attributes = %v, want user.name and user.id", op.Attributes())
	}
	for _, s := range rec.Ended() {
		if strings.HasPrefix(s.Name(), "ssh.run ") && s.Parent().SpanID() == op.SpanContext().SpanID() {
			commands = append(commands, strings.TrimPrefix(s.Name(), "ssh.run "))
		}
	}
	if want := "getent,groupadd,useradd"; strings.Join(commands, ",") != want {
		t.Errorf("ssh spans under ensure = %v, want %s", commands, want)
	}
}

func hasAttr(attrs []attribute.KeyValue, key, value string) bool {
	for _, a := range attrs {
		if string(a.Key) == key && a.Value.AsString() == value {
			return true
		}
	}
	return false
}
