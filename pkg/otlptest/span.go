package otlptest

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// Span is one received span, flattened for assertions: ids in lowercase
// hex (as trace.TraceID.String() prints them), attribute values as text.
type Span struct {
	TraceID      string
	SpanID       string
	ParentSpanID string // "" for a root span
	Name         string
	Kind         tracepb.Span_SpanKind
	Attributes   map[string]string
	// Resource holds the attributes of the span's resource (service.name…).
	Resource map[string]string
	// Scope is the instrumentation scope (the tracer's name).
	Scope      string
	StatusCode tracepb.Status_StatusCode
}

func (s Span) String() string {
	return fmt.Sprintf("%s %q (%s) parent %s scope %s attrs %v", s.SpanID, s.Name, s.Kind, s.ParentSpanID, s.Scope, s.Attributes)
}

// flatten turns an export request's spans into Spans.
func flatten(rss []*tracepb.ResourceSpans) []Span {
	var out []Span
	for _, rs := range rss {
		res := attrs(rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			scope := ss.GetScope().GetName()
			for _, sp := range ss.GetSpans() {
				out = append(out, Span{
					TraceID:      hex.EncodeToString(sp.GetTraceId()),
					SpanID:       hex.EncodeToString(sp.GetSpanId()),
					ParentSpanID: hex.EncodeToString(sp.GetParentSpanId()),
					Name:         sp.GetName(),
					Kind:         sp.GetKind(),
					Attributes:   attrs(sp.GetAttributes()),
					Resource:     res,
					Scope:        scope,
					StatusCode:   sp.GetStatus().GetCode(),
				})
			}
		}
	}
	return out
}

func attrs(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[kv.GetKey()] = text(kv.GetValue())
	}
	return m
}

// text renders an attribute value: strings as they are, the rest as Go
// prints them, arrays as [a b], maps as {k:v}.
func text(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_BoolValue:
		return strconv.FormatBool(x.BoolValue)
	case *commonpb.AnyValue_IntValue:
		return strconv.FormatInt(x.IntValue, 10)
	case *commonpb.AnyValue_DoubleValue:
		return strconv.FormatFloat(x.DoubleValue, 'g', -1, 64)
	case *commonpb.AnyValue_BytesValue:
		return hex.EncodeToString(x.BytesValue)
	case *commonpb.AnyValue_ArrayValue:
		parts := make([]string, 0, len(x.ArrayValue.GetValues()))
		for _, e := range x.ArrayValue.GetValues() {
			parts = append(parts, text(e))
		}
		return "[" + strings.Join(parts, " ") + "]"
	case *commonpb.AnyValue_KvlistValue:
		parts := make([]string, 0, len(x.KvlistValue.GetValues()))
		for _, kv := range x.KvlistValue.GetValues() {
			parts = append(parts, kv.GetKey()+":"+text(kv.GetValue()))
		}
		return "{" + strings.Join(parts, " ") + "}"
	}
	return ""
}
