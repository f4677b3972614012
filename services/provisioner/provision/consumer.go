package provision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/provisioner/store"
)

const tracerName = "github.com/dockeronline/platform/services/provisioner/provision"

// ConsumerName is the durable JetStream consumer of the provisioner.
const ConsumerName = "provisioner"

// opTimeout bounds one attempt (a few SSH commands and database writes).
// Attempts are not cut short by shutdown: an interrupted useradd leaves an
// unknown outcome, a finished one does not.
const opTimeout = 2 * time.Minute

// ConsumerConfig is the durable consumer: both user events, explicit acks,
// a bounded number of deliveries. Redelivery delays are chosen per message
// (NakWithDelay); AckWait only matters when an instance died holding one.
func ConsumerConfig(maxDeliver, maxAckPending int) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:        ConsumerName,
		Description:    "provisioner: Linux accounts for platform users",
		FilterSubjects: []string{subjects.UserCreated, subjects.UserDeleted},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        opTimeout + 30*time.Second,
		MaxDeliver:     maxDeliver,
		MaxAckPending:  maxAckPending,
	}
}

// Consumer feeds user events to the core, several at a time.
type Consumer struct {
	core       *core
	cons       jetstream.Consumer
	gate       *Gate
	retry      Backoff
	maxDeliver int
	workers    int
	ackWait    time.Duration
}

// Run consumes until ctx ends, then returns once every worker has finished
// its message.
func (c *Consumer) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range c.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.work(ctx)
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// work fetches one message at a time: nothing waits in a client buffer
// while the host is down, so no message's redeliveries run out there.
func (c *Consumer) work(ctx context.Context) {
	for failures := 0; ctx.Err() == nil; {
		if c.gate.Wait(ctx) != nil {
			return
		}
		fetchCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		m, err := c.cons.Next(jetstream.FetchContext(fetchCtx))
		cancel()
		switch {
		case err == nil:
			failures = 0
			c.handle(ctx, m)
		case ctx.Err() != nil:
			return
		case errors.Is(err, nats.ErrTimeout), errors.Is(err, context.DeadlineExceeded), errors.Is(err, jetstream.ErrNoMessages):
			// Nothing to do for now.
		default:
			failures++
			c.core.log.WarnContext(ctx, "fetching user events failed", "err", err)
			sleep(ctx, c.retry.Delay(failures))
		}
	}
}

// handle processes one message until it is acked, handed back for a later
// redelivery, or parked.
func (c *Consumer) handle(ctx context.Context, m jetstream.Msg) {
	meta, err := m.Metadata()
	if err != nil {
		c.core.log.ErrorContext(ctx, "user event without JetStream metadata", "subject", m.Subject(), "err", err)
		_ = m.Term()
		return
	}
	ctx = bus.ExtractTrace(ctx, m.Headers())
	ctx, span := otel.Tracer(tracerName).Start(ctx, "provision "+m.Subject(), trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("messaging.system", "nats"), attribute.String("messaging.destination.name", m.Subject()),
			attribute.Int64("messaging.nats.stream_seq", int64(meta.Sequence.Stream)), attribute.Int64("messaging.nats.delivered", int64(meta.NumDelivered))))
	defer span.End()

	j, err := decodeJob(m)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		c.park(ctx, m, meta, j, err.Error())
		return
	}
	span.SetAttributes(attribute.String("user.id", j.UserID), attribute.String("user.name", j.Username))
	j.Final = int(meta.NumDelivered) >= c.maxDeliver

	// A host that is down does not use up this message's deliveries: the
	// worker keeps it (telling JetStream it is still at work) and tries
	// again when the gate opens. Each try after the gate opened counts.
	for hostTries := 1; ; hostTries++ {
		opCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opTimeout)
		r, err := c.core.apply(opCtx, j)
		cancel()
		if err != nil {
			span.RecordError(err)
			c.core.log.ErrorContext(ctx, "provisioning could not record its work; redelivering", "user_id", j.UserID, "err", err)
			c.redeliver(ctx, m, meta, j)
			return
		}
		span.SetAttributes(attribute.String("provision.outcome", r.outcome.String()))
		switch r.outcome {
		case outcomeDone:
			if err := m.DoubleAck(ctx); err != nil {
				c.core.log.WarnContext(ctx, "ack failed; the event will come again and be recognised", "err", err)
			}
			return
		case outcomeParked:
			span.SetStatus(codes.Error, r.reason)
			c.park(ctx, m, meta, j, r.reason)
			return
		case outcomeRetry:
			c.redeliver(ctx, m, meta, j)
			return
		case outcomeHostDown:
			if hostTries >= c.maxDeliver {
				// The host keeps answering the probe and failing the
				// work: stop holding the message, let deliveries count.
				c.redeliver(ctx, m, meta, j)
				return
			}
			c.gate.Trip(ctx, r.cause)
			if !c.holdUntilOpen(ctx, m) {
				// Shutting down: hand the message back at once.
				_ = m.Nak()
				return
			}
		}
	}
}

// redeliver hands the message back with an exponential delay; on the last
// delivery it is parked instead, as JetStream would not deliver it again.
func (c *Consumer) redeliver(ctx context.Context, m jetstream.Msg, meta *jetstream.MsgMetadata, j job) {
	if j.Final {
		reason := fmt.Sprintf("gave up after %d deliveries", meta.NumDelivered)
		if err := c.core.giveUp(context.WithoutCancel(ctx), j, reason); err != nil {
			c.core.log.ErrorContext(ctx, "could not mark the account failed; the sweep will take it up", "user_id", j.UserID, "err", err)
		}
		c.park(ctx, m, meta, j, reason)
		return
	}
	if err := m.NakWithDelay(c.retry.Delay(int(meta.NumDelivered))); err != nil {
		c.core.log.WarnContext(ctx, "nak failed; JetStream will redeliver after the ack wait", "err", err)
	}
}

// park records a dead letter and terminates the message: it will not be
// delivered again. If the record cannot be written, the message is handed
// back so that nothing is lost silently.
func (c *Consumer) park(ctx context.Context, m jetstream.Msg, meta *jetstream.MsgMetadata, j job, reason string) {
	err := c.core.store.AddDeadLetter(context.WithoutCancel(ctx), store.DeadLetter{
		Subject: m.Subject(), EventID: j.EventID, UserID: j.UserID, Username: j.Username, Reason: reason,
		Deliveries: int(meta.NumDelivered), StreamSeq: meta.Sequence.Stream, Payload: m.Data(),
	})
	if err != nil {
		c.core.log.ErrorContext(ctx, "dead letter not recorded; redelivering", "err", err)
		_ = m.NakWithDelay(c.retry.Delay(int(meta.NumDelivered)))
		return
	}
	c.core.log.WarnContext(ctx, "user event parked", "subject", m.Subject(), "user_id", j.UserID, "username", j.Username, "reason", reason)
	if err := m.TermWithReason(truncate(reason, 200)); err != nil {
		c.core.log.WarnContext(ctx, "term failed", "err", err)
	}
}

// holdUntilOpen waits for the gate, keeping the message's ack timer from
// running out. It returns false when ctx ends first.
func (c *Consumer) holdUntilOpen(ctx context.Context, m jetstream.Msg) bool {
	for {
		waitCtx, cancel := context.WithTimeout(ctx, c.ackWait/3)
		err := c.gate.Wait(waitCtx)
		cancel()
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		_ = m.InProgress()
	}
}

// decodeJob reads a user event. Unknown fields are allowed: events are
// facts other services may enrich; what the provisioner needs is checked.
func decodeJob(m jetstream.Msg) (job, error) {
	var ev msg.UserEvent
	if err := json.Unmarshal(m.Data(), &ev); err != nil {
		return job{}, fmt.Errorf("undecodable %s: %v", m.Subject(), err)
	}
	if ev.UserID == "" || ev.EventID == "" {
		return job{EventID: ev.EventID, UserID: ev.UserID, Username: ev.Username},
			fmt.Errorf("%s without user_id or event_id", m.Subject())
	}
	op := msg.ProvisionCreate
	if m.Subject() == subjects.UserDeleted {
		op = msg.ProvisionDelete
	}
	return job{UserID: ev.UserID, Username: ev.Username, Op: op, EventID: ev.EventID}, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
