package edge

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/subjects"
)

// sharedTickets is the platform-wide record of redeemed tickets: a KV
// bucket (subjects.LinkTicketsBucket) whose entries outlive every ticket
// (TTL below). Creating a key is atomic on the server, so of several
// proxies redeeming one ticket only the first succeeds. The in-memory
// record (tickets) answers a replay at the same proxy without a round trip.
type sharedTickets struct {
	js jetstream.JetStream
	mu sync.Mutex
	kv jetstream.KeyValue
}

// sharedTicketTTL is longer than a ticket lives (the gateway's 60 s) plus
// clock skew between gateway and proxies.
const sharedTicketTTL = 5 * time.Minute

// redeem reports whether id was not redeemed before by any proxy, and
// records it. An error (NATS unreachable) means "refuse": fail closed.
func (s *sharedTickets) redeem(ctx context.Context, id string) (bool, error) {
	kv, err := s.bucket(ctx)
	if err != nil {
		return false, err
	}
	_, err = kv.Create(ctx, id, nil)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return false, nil
	}
	return err == nil, err
}

func (s *sharedTickets) bucket(ctx context.Context) (jetstream.KeyValue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kv != nil {
		return s.kv, nil
	}
	kv, err := s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      subjects.LinkTicketsBucket,
		Description: "redeemed private-link tickets (proxy); keys expire",
		TTL:         sharedTicketTTL,
		History:     1,
	})
	if err != nil {
		return nil, err
	}
	s.kv = kv
	return kv, nil
}
