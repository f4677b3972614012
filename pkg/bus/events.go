package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/subjects"
)

// EventsStreamConfig is the one definition of the EVENTS stream. Facts are
// kept for a week; the duplicate window makes a re-published event (same
// id) a no-op, which is what lets publishers retry safely.
var EventsStreamConfig = jetstream.StreamConfig{
	Name:       subjects.EventsStream,
	Subjects:   []string{subjects.EventsAll},
	Storage:    jetstream.FileStorage,
	MaxAge:     7 * 24 * time.Hour,
	Duplicates: 10 * time.Minute,
}

// EnsureEventsStream creates or updates the EVENTS stream; every service that
// publishes or consumes events calls it at start, so start order is free.
func EnsureEventsStream(ctx context.Context, js jetstream.JetStream) (jetstream.Stream, error) {
	s, err := js.CreateOrUpdateStream(ctx, EventsStreamConfig)
	if err != nil {
		return nil, fmt.Errorf("ensure stream %s: %w", subjects.EventsStream, err)
	}
	return s, nil
}

// PublishEvent publishes a fact on JetStream and waits for the stream's ack.
// id de-duplicates: publishing the same id twice stores it once.
func PublishEvent(ctx context.Context, js jetstream.JetStream, subject, id string, payload any) error {
	if id == "" {
		return errors.New("event id is required")
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode event %s: %w", subject, err)
	}
	m := nats.NewMsg(subject)
	m.Data = body
	InjectHeaders(ctx, m.Header)
	if _, err := js.PublishMsg(ctx, m, jetstream.WithMsgID(id)); err != nil {
		return fmt.Errorf("publish %s: %w", subject, err)
	}
	return nil
}
