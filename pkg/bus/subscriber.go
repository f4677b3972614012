package bus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-kit/kit/endpoint"
	natstransport "github.com/go-kit/kit/transport/nats"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
)

type finalizerKey struct{}

// finalizers are undone, in reverse, by Finalize.
type finalizers []func()

// SubscriberBefore restores what the publisher put in the headers: the trace
// (a server span is started), the caller's identity and the deadline.
func SubscriberBefore(ctx context.Context, m *nats.Msg) context.Context {
	var fin finalizers
	ctx = withHandling(ctx, m) // metrics.go: outcome slot, serving service
	ctx = ExtractTrace(ctx, m.Header)
	ctx, span := otel.Tracer(tracerName).Start(ctx, "nats.serve "+m.Subject,
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("messaging.system", "nats"),
			attribute.String("messaging.destination.name", m.Subject)))
	fin = append(fin, func() { span.End() })
	if m.Header != nil {
		if c, ok := identity.Extract(m.Header); ok {
			ctx = identity.With(ctx, c)
			span.SetAttributes(attribute.String("user.id", c.UserID), attribute.String("user.name", c.Username))
		}
		if d, ok := deadlineFrom(m.Header); ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, d)
			fin = append(fin, cancel)
		}
	}
	return context.WithValue(ctx, finalizerKey{}, &fin)
}

// SubscriberFinalizer ends the server span and releases the deadline.
func SubscriberFinalizer(ctx context.Context, _ *nats.Msg) {
	fin, _ := ctx.Value(finalizerKey{}).(*finalizers)
	if fin == nil {
		return
	}
	for i := len(*fin) - 1; i >= 0; i-- {
		(*fin)[i]()
	}
}

// DecodeRequest decodes a JSON request strictly: an unknown field is an
// error that names it, so a typo never passes silently.
func DecodeRequest[T any](_ context.Context, m *nats.Msg) (any, error) {
	if v := m.Header.Get(HeaderVersion); v != "" && v != msg.Version {
		return nil, apierr.Invalid("message version %s is not supported (want %s)", v, msg.Version)
	}
	var req T
	if err := StrictUnmarshal(m.Data, &req); err != nil {
		return nil, apierr.Invalid("bad request: %v", err)
	}
	return req, nil
}

// MaxRequestBytes bounds a message body a service decodes. NATS bounds a
// message by the server's max_payload (1 MB by default, 8 MB in
// deploy/nats); this bound is the decoder's own, so what one command may
// cost a service's memory does not hang on the server's configuration.
// The gateway sends at most 1 MB of JSON per request (httpx.MaxBody).
const MaxRequestBytes = 2 << 20

// pendingBytes bounds the messages a subscription holds while all of
// Serve's handlers are busy (nats.go's default is 64 MB per subscription):
// past it NATS drops them as a slow consumer and their requesters time
// out, instead of the service's memory growing with a flood. Twice
// deploy/nats' max_payload, so any one message the server lets through
// is answered (refused at decode when over MaxRequestBytes).
const pendingBytes = 16 << 20

// StrictUnmarshal decodes JSON refusing unknown fields and trailing data,
// and bodies over MaxRequestBytes.
func StrictUnmarshal(data []byte, v any) error {
	if len(data) > MaxRequestBytes {
		return fmt.Errorf("the body is %d KB, more than the %d KB a message may carry", len(data)>>10, MaxRequestBytes>>10)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// EncodeResponse replies with JSON and the version header.
func EncodeResponse(ctx context.Context, reply string, nc *nats.Conn, response any) error {
	recordOutcome(ctx, response)
	if f, ok := response.(endpoint.Failer); ok && f.Failed() != nil {
		span := trace.SpanFromContext(ctx)
		span.SetStatus(codes.Error, f.Failed().Error())
		if e := apierr.From(f.Failed()); e.Rule != "" {
			span.SetAttributes(attribute.String("policy.rule", e.Rule))
		}
	}
	body, err := json.Marshal(response)
	if err != nil {
		return err
	}
	m := nats.NewMsg(reply)
	m.Data = body
	m.Header.Set(HeaderVersion, msg.Version)
	return nc.PublishMsg(m)
}

// ErrorEncoder answers transport-level failures (undecodable request, an
// endpoint returning an error) in the same envelope as business errors.
func ErrorEncoder(ctx context.Context, err error, reply string, nc *nats.Conn) {
	if encErr := EncodeResponse(ctx, reply, nc, msg.Reply[msg.Empty]{Error: apierr.From(err)}); encErr != nil {
		slog.ErrorContext(ctx, "reply failed", "err", encErr)
	}
}

// ServerOptions are the go-kit subscriber options every service uses.
func ServerOptions() []natstransport.SubscriberOption {
	return []natstransport.SubscriberOption{
		natstransport.SubscriberBefore(SubscriberBefore),
		natstransport.SubscriberFinalizer(SubscriberFinalizer),
		natstransport.SubscriberErrorEncoder(ErrorEncoder),
	}
}

// NewSubscriber builds a go-kit subscriber for an endpoint whose request is T.
func NewSubscriber[T any](e endpoint.Endpoint) *natstransport.Subscriber {
	return natstransport.NewSubscriber(e, DecodeRequest[T], EncodeResponse, ServerOptions()...)
}

// Handlers maps subjects to subscribers.
type Handlers map[string]*natstransport.Subscriber

// Serve subscribes each handler in queue group queue. NATS delivers a
// subscription's messages one at a time, so each message is handled in its
// own goroutine, at most limit at once, to let slow Docker calls overlap.
func Serve(nc *nats.Conn, queue string, limit int, hs Handlers) ([]*nats.Subscription, error) {
	sem := make(chan struct{}, limit)
	var subs []*nats.Subscription
	for subject, h := range hs {
		serve := h.ServeMsg(nc)
		sub, err := nc.QueueSubscribe(subject, queue, func(m *nats.Msg) {
			sem <- struct{}{}
			go func() {
				defer func() { <-sem }()
				serveObserved(nc, subject, serve, m) // metrics.go
			}()
		})
		if err == nil {
			err = sub.SetPendingLimits(nats.DefaultSubPendingMsgsLimit, pendingBytes)
		}
		if err != nil {
			for _, s := range subs {
				_ = s.Unsubscribe()
			}
			if sub != nil {
				_ = sub.Unsubscribe()
			}
			return nil, fmt.Errorf("subscribe %s: %w", subject, err)
		}
		subs = append(subs, sub)
	}
	// Serving once Serve returns: the server has the subscriptions before
	// a request sent on another connection can look for responders.
	if nc.IsConnected() {
		_ = nc.FlushTimeout(5 * time.Second)
	}
	return subs, nil
}
