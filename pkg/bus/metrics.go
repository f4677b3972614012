package bus

import (
	"context"
	"sync"
	"time"

	"github.com/go-kit/kit/endpoint"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/trace"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/telemetry"
)

// Outcomes of a handled command besides the error codes of apierr.
const (
	OutcomeOK      = "ok"
	OutcomeNoReply = "no_reply" // a request without a reply subject: nothing was answered
)

// HandlerObserver is told how each command Serve handled ended: its
// subscription subject, "ok" or the reply's error code, how long it took
// from the handler's start to the reply sent, and the span that served it
// (for an exemplar: the latency histogram leads to the trace). pkg/metrics'
// Registry is one.
type HandlerObserver interface {
	ObserveHandler(subject, outcome string, d time.Duration, span trace.SpanContext)
}

// observers maps a connection to its service's observer. Keying by
// connection, not by a Serve argument, reaches every Serve call of a
// service (its features subscribe on their own) without changing them, and
// keeps apart several services in one process (tests), each on its own
// connection.
var observers sync.Map // *nats.Conn → HandlerObserver

// ObserveHandlers reports every command served on nc (by Serve, before or
// after this call) to o, until the returned function is called:
//
//	defer bus.ObserveHandlers(nc, reg)()
func ObserveHandlers(nc *nats.Conn, o HandlerObserver) (forget func()) {
	observers.Store(nc, o)
	return func() { observers.CompareAndDelete(nc, o) }
}

// handling is one command in progress: what SubscriberBefore and
// EncodeResponse learn about it, read by Serve once it is done.
type handling struct {
	service string // the connection's name: the service serving
	outcome string
	span    trace.SpanContext // the server span
}

type handlingKey struct{}

// inFlight hands a message's handling from Serve to SubscriberBefore:
// go-kit starts each message's context from context.Background(), so the
// message is the only thing both see.
var inFlight sync.Map // *nats.Msg → *handling

// serveObserved runs serve for m and reports it to nc's observer.
func serveObserved(nc *nats.Conn, subject string, serve func(*nats.Msg), m *nats.Msg) {
	h := &handling{service: nc.Opts.Name, outcome: OutcomeNoReply}
	inFlight.Store(m, h)
	defer inFlight.Delete(m)
	start := time.Now()
	serve(m)
	if o, ok := observers.Load(nc); ok {
		o.(HandlerObserver).ObserveHandler(subject, h.outcome, time.Since(start), h.span)
	}
}

// withHandling gives the message's context its handling and marks it as
// work of the serving service, so the server span and every span below it
// (Docker calls, further requests) name the service.
func withHandling(ctx context.Context, m *nats.Msg) context.Context {
	v, ok := inFlight.Load(m)
	if !ok {
		return ctx // served outside Serve (a test calling ServeMsg)
	}
	h := v.(*handling)
	ctx = context.WithValue(ctx, handlingKey{}, h)
	if h.service != "" {
		ctx = telemetry.WithService(ctx, h.service)
	}
	return ctx
}

// recordOutcome notes how the reply being sent ends the command.
func recordOutcome(ctx context.Context, response any) {
	h, _ := ctx.Value(handlingKey{}).(*handling)
	if h == nil {
		return
	}
	h.outcome = OutcomeOK
	h.span = trace.SpanContextFromContext(ctx)
	if f, ok := response.(endpoint.Failer); ok && f.Failed() != nil {
		h.outcome = string(apierr.From(f.Failed()).Code)
	}
}
