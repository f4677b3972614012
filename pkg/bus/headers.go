// Package bus is the platform's NATS layer: a request publisher that carries
// headers (caller identity, W3C trace context, deadline, message version),
// the go-kit subscriber options that restore them, and JetStream helpers for
// events. go-kit's own NATS publisher sends only the payload and its
// subscriber starts from context.Background(); this package closes that gap.
package bus

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"

	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
)

// Header names set on every message.
const (
	HeaderVersion  = "Dol-Msg-Version"
	HeaderDeadline = "Dol-Deadline" // unix nanoseconds
)

// carrier adapts nats.Header to OpenTelemetry's propagation. nats.Header has
// http.Header's shape, and both ends go through http.Header's canonical keys.
func carrier(h nats.Header) propagation.TextMapCarrier {
	return propagation.HeaderCarrier(http.Header(h))
}

// InjectHeaders writes everything ctx carries that must cross the bus.
func InjectHeaders(ctx context.Context, h nats.Header) {
	h.Set(HeaderVersion, msg.Version)
	if c, ok := identity.From(ctx); ok {
		identity.Inject(h, c)
	}
	if d, ok := ctx.Deadline(); ok {
		h.Set(HeaderDeadline, strconv.FormatInt(d.UnixNano(), 10))
	}
	otel.GetTextMapPropagator().Inject(ctx, carrier(h))
}

// ExtractTrace returns ctx with the remote span context found in h.
func ExtractTrace(ctx context.Context, h nats.Header) context.Context {
	if h == nil {
		return ctx
	}
	return otel.GetTextMapPropagator().Extract(ctx, carrier(h))
}

func deadlineFrom(h nats.Header) (time.Time, bool) {
	v := h.Get(HeaderDeadline)
	if v == "" {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, n), true
}
