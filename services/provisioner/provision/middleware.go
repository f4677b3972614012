package provision

import (
	"context"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
)

// Middleware decorates a Service.
type Middleware func(Service) Service

// Chain applies middlewares, the first outermost.
func Chain(s Service, ms ...Middleware) Service {
	for i := len(ms) - 1; i >= 0; i-- {
		s = ms[i](s)
	}
	return s
}

// Logging logs each call with its caller, duration and error code.
func Logging(log *slog.Logger) Middleware {
	return func(next Service) Service { return logging{next: next, log: log} }
}

type logging struct {
	next Service
	log  *slog.Logger
}

func (l logging) Status(ctx context.Context, req msg.ProvisionStatusRequest) (out msg.ProvisionStatus, err error) {
	defer l.done(ctx, "status", time.Now(), &err, "ids", len(req.UserIDs), "all", req.All)
	return l.next.Status(ctx, req)
}

func (l logging) Retry(ctx context.Context, req msg.ProvisionRetryRequest) (out msg.LinuxAccount, err error) {
	defer l.done(ctx, "retry", time.Now(), &err, "user_id", req.UserID)
	return l.next.Retry(ctx, req)
}

func (l logging) done(ctx context.Context, op string, start time.Time, err *error, attrs ...any) {
	c, _ := identity.From(ctx)
	attrs = append(attrs, "op", op, "caller", c.UserID, "took", time.Since(start))
	if *err != nil {
		l.log.WarnContext(ctx, "command refused or failed", append(attrs, "code", apierr.From(*err).Code, "err", *err)...)
		return
	}
	l.log.DebugContext(ctx, "command served", attrs...)
}

// Tracing wraps each call in a span.
func Tracing() Middleware {
	return func(next Service) Service { return tracing{next: next} }
}

type tracing struct{ next Service }

func (t tracing) Status(ctx context.Context, req msg.ProvisionStatusRequest) (out msg.ProvisionStatus, err error) {
	ctx, end := startSpan(ctx, "provisioner.Status", attribute.Int("request.user_ids", len(req.UserIDs)), attribute.Bool("request.all", req.All))
	defer func() { end(err) }()
	return t.next.Status(ctx, req)
}

func (t tracing) Retry(ctx context.Context, req msg.ProvisionRetryRequest) (out msg.LinuxAccount, err error) {
	ctx, end := startSpan(ctx, "provisioner.Retry", attribute.String("user.id", req.UserID))
	defer func() { end(err) }()
	return t.next.Retry(ctx, req)
}

func startSpan(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, func(error)) {
	ctx, span := otel.Tracer(tracerName).Start(ctx, name)
	span.SetAttributes(attrs...)
	return ctx, func(err error) {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
}
