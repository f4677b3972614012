package audit

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// ConsumerName is the durable consumer of the audit records.
const ConsumerName = "auth-audit"

// ConsumerConfig: every evt.audit.> record, explicit acks, redelivered
// until stored (a record is small and storing it is idempotent).
var ConsumerConfig = jetstream.ConsumerConfig{
	Durable:       ConsumerName,
	Description:   "auth: store the audit log",
	FilterSubject: subjects.AuditAll,
	DeliverPolicy: jetstream.DeliverAllPolicy,
	AckPolicy:     jetstream.AckExplicitPolicy,
	AckWait:       30 * time.Second,
	MaxAckPending: 1000,
}

// Consume stores audit records until ctx ends. The stream must exist.
func Consume(ctx context.Context, js jetstream.JetStream, store *Store, log *slog.Logger) error {
	cons, err := js.CreateOrUpdateConsumer(ctx, subjects.EventsStream, ConsumerConfig)
	if err != nil {
		return err
	}
	for ctx.Err() == nil {
		fetchCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		m, err := cons.Next(jetstream.FetchContext(fetchCtx))
		cancel()
		switch {
		case err == nil:
			handle(ctx, m, store, log)
		case ctx.Err() != nil:
		case errors.Is(err, nats.ErrTimeout), errors.Is(err, context.DeadlineExceeded), errors.Is(err, jetstream.ErrNoMessages):
		default:
			log.WarnContext(ctx, "fetching audit records failed", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}

func handle(ctx context.Context, m jetstream.Msg, store *Store, log *slog.Logger) {
	ctx = bus.ExtractTrace(ctx, m.Headers())
	var r msg.AuditRecord
	if err := json.Unmarshal(m.Data(), &r); err != nil || r.ID == "" {
		// A record that cannot be read will never be: drop it loudly.
		log.ErrorContext(ctx, "unreadable audit record dropped", "subject", m.Subject(), "err", err)
		_ = m.Term()
		return
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := store.Add(sctx, r); err != nil {
		log.WarnContext(ctx, "storing audit record failed; will retry", "id", r.ID, "err", err)
		_ = m.NakWithDelay(2 * time.Second)
		return
	}
	_ = m.Ack()
}
