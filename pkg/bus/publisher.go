package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-kit/kit/endpoint"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
)

const tracerName = "github.com/dockeronline/platform/pkg/bus"

// DefaultTimeout bounds a request whose context has no deadline of its own.
const DefaultTimeout = 30 * time.Second

// Publisher sends requests on one subject and decodes msg.Reply[Resp].
// Unlike go-kit's NATS publisher it sends headers: identity, trace context,
// deadline and message version.
type Publisher[Resp any] struct {
	nc      *nats.Conn
	subject string
	timeout time.Duration
}

// NewPublisher returns a publisher for subject.
func NewPublisher[Resp any](nc *nats.Conn, subject string) *Publisher[Resp] {
	return &Publisher[Resp]{nc: nc, subject: subject, timeout: DefaultTimeout}
}

// Endpoint adapts the publisher to go-kit. The response is a msg.Reply[Resp]
// (an endpoint.Failer); transport failures are returned as errors.
func (p *Publisher[Resp]) Endpoint() endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		return p.Do(ctx, request)
	}
}

// Do sends request and waits for the reply.
func (p *Publisher[Resp]) Do(ctx context.Context, request any) (msg.Reply[Resp], error) {
	var reply msg.Reply[Resp]
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.timeout)
		defer cancel()
	}
	ctx, span := otel.Tracer(tracerName).Start(ctx, "nats.request "+p.subject,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("messaging.system", "nats"),
			attribute.String("messaging.destination.name", p.subject)))
	defer span.End()

	// While the connection is down, a request would sit in the reconnect
	// buffer until its deadline: say so at once instead.
	if st := p.nc.Status(); st != nats.CONNECTED && st != nats.DRAINING_PUBS {
		err := apierr.New(apierr.CodeUnavailable, "the message bus is not connected (%s); try again shortly", st)
		span.SetStatus(codes.Error, err.Error())
		return reply, err
	}
	body, err := json.Marshal(request)
	if err != nil {
		return reply, fmt.Errorf("encode %s request: %w", p.subject, err)
	}
	m := nats.NewMsg(p.subject)
	m.Data = body
	InjectHeaders(ctx, m.Header)

	res, err := p.nc.RequestMsgWithContext(ctx, m)
	if err != nil {
		err = transportError(p.subject, err)
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		return reply, err
	}
	if err := json.Unmarshal(res.Data, &reply); err != nil {
		return reply, fmt.Errorf("decode %s reply: %w", p.subject, err)
	}
	if reply.Error != nil {
		span.SetAttributes(attribute.String("error.code", string(reply.Error.Code)))
		if reply.Error.Rule != "" {
			span.SetAttributes(attribute.String("policy.rule", reply.Error.Rule))
		}
	}
	return reply, nil
}

// Request is the one-call form: it returns the reply's data, or its error
// (an *apierr.Error) when the service refused.
func Request[Resp any](ctx context.Context, nc *nats.Conn, subject string, request any) (Resp, error) {
	reply, err := NewPublisher[Resp](nc, subject).Do(ctx, request)
	if err != nil {
		return reply.Data, err
	}
	if reply.Error != nil {
		return reply.Data, reply.Error
	}
	return reply.Data, nil
}

// transportError turns NATS failures into errors a caller can act on.
func transportError(subject string, err error) error {
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return apierr.New(apierr.CodeUnavailable, "no service is answering %s right now; try again shortly", subject)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return apierr.New(apierr.CodeTimeout, "%s did not answer in time", subject)
	case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrDisconnected):
		return apierr.New(apierr.CodeUnavailable, "the message bus is not connected")
	default:
		return fmt.Errorf("request %s: %w", subject, err)
	}
}
