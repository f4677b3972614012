package routes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// The feeder turns container events into routes. It reads the EVENTS stream
// through one durable consumer shared by every proxy replica, with at most one
// unacknowledged event at a time, so events are applied one by one in stream
// order whichever replica holds them.
//
// Ordering and replays: for every container the feeder keeps, in the
// StateBucket, the time and stream sequence of the last event it applied and
// the labels the container holds. An event older than that is ignored, so a
// late "start" can never resurrect the route of a stopped container, and a
// replayed event changes nothing. State records outlive the EVENTS stream's
// retention (StateTTL), so any event still replayable finds its tombstone.

// Names the feeder owns.
const (
	// ConsumerName is the durable consumer on EVENTS (filter evt.container.>).
	ConsumerName = "proxy-routes"
	// StateBucket holds one record per container id: last event applied,
	// whether it is live, which labels it holds.
	StateBucket = "routes-state"
	// StateTTL outlives the EVENTS stream's retention (7 days).
	StateTTL = 8 * 24 * time.Hour
)

// ConsumerConfig is the durable consumer's definition.
var ConsumerConfig = jetstream.ConsumerConfig{
	Durable:       ConsumerName,
	Description:   "proxy: container events -> routes bucket",
	FilterSubject: subjects.ContainerEventsAll,
	DeliverPolicy: jetstream.DeliverAllPolicy,
	AckPolicy:     jetstream.AckExplicitPolicy,
	AckWait:       30 * time.Second,
	MaxAckPending: 1, // strict order across replicas
}

// StateBucketConfig is the feeder's bookkeeping bucket.
var StateBucketConfig = jetstream.KeyValueConfig{
	Bucket:      StateBucket,
	Description: "proxy feeder: last container event applied per container id",
	History:     1,
	TTL:         StateTTL,
	Storage:     jetstream.FileStorage,
}

// actionSnapshot is the runner's evt.container.snapshot (msg.ContainerSnapshot).
const actionSnapshot = "snapshot"

// maxAttempts bounds how often one event is retried (about 4 minutes with
// the back-off) before it is dropped.
const maxAttempts = 30

// validID accepts a Docker container id (or any id usable as a KV key).
func validID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// Actions after which a container never serves, whatever its state says.
var downActions = map[string]bool{"stop": true, "die": true, "destroy": true, "remove": true, "pause": true}

// Actions that mean "running" when an event carries no state.
var upActions = map[string]bool{"start": true, "restart": true, "unpause": true, "connect": true, "update": true, "rename": true}

// containerState is a StateBucket record.
type containerState struct {
	ContainerID string    `json:"container_id"`
	Action      string    `json:"action"`
	Time        time.Time `json:"time"`
	Seq         uint64    `json:"seq"`
	Live        bool      `json:"live"`
	Labels      []string  `json:"labels,omitempty"`
}

// Feeder applies container events to the routes bucket.
type Feeder struct {
	js    jetstream.JetStream
	log   *slog.Logger
	setup *sync.Mutex // serialises JetStream set-up with the watcher's
}

// NewFeeder returns a feeder.
func NewFeeder(js jetstream.JetStream, log *slog.Logger) *Feeder {
	return &Feeder{js: js, log: log.With("component", "feeder"), setup: &sync.Mutex{}}
}

// Run consumes events until ctx is done, starting over after failures.
func (f *Feeder) Run(ctx context.Context) error {
	backoff := 250 * time.Millisecond
	for {
		err := f.consume(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		f.log.Warn("event consumer stopped; retrying", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

// prepare makes sure the stream, the buckets and the consumer exist.
func (f *Feeder) prepare(ctx context.Context) (jetstream.Consumer, *applier, error) {
	f.setup.Lock()
	defer f.setup.Unlock()
	stream, err := bus.EnsureEventsStream(ctx, f.js)
	if err != nil {
		return nil, nil, err
	}
	routes, err := EnsureRoutesBucket(ctx, f.js)
	if err != nil {
		return nil, nil, err
	}
	state, err := f.js.CreateOrUpdateKeyValue(ctx, StateBucketConfig)
	if err != nil {
		return nil, nil, fmt.Errorf("ensure kv %s: %w", StateBucket, err)
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, ConsumerConfig)
	if err != nil {
		return nil, nil, fmt.Errorf("consumer %s: %w", ConsumerName, err)
	}
	return cons, &applier{routes: routes, state: state, log: f.log}, nil
}

func (f *Feeder) consume(ctx context.Context) error {
	cons, a, err := f.prepare(ctx)
	if err != nil {
		return err
	}
	failed := make(chan error, 1)
	cc, err := cons.Consume(func(m jetstream.Msg) { a.handle(ctx, m) },
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) {
				select {
				case failed <- err:
				default:
				}
				return
			}
			f.log.Debug("consume", "err", err)
		}))
	if err != nil {
		return fmt.Errorf("consume %s: %w", ConsumerName, err)
	}
	defer cc.Stop()
	f.log.Info("following container events", "consumer", ConsumerName)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case err := <-failed:
		return err
	case <-cc.Closed():
		return errors.New("consumer closed")
	}
}

// applier does the work for one consumer session.
type applier struct {
	routes jetstream.KeyValue
	state  jetstream.KeyValue
	log    *slog.Logger
}

var tracer = otel.Tracer("github.com/dockeronline/platform/services/proxy/routes")

func (a *applier) handle(ctx context.Context, m jetstream.Msg) {
	md, err := m.Metadata()
	if err != nil {
		a.log.Error("event without metadata", "subject", m.Subject(), "err", err)
		_ = m.Term()
		return
	}
	if m.Subject() == subjects.ContainerEvent(actionSnapshot) {
		a.handleSnapshot(ctx, m, md)
		return
	}
	var ev msg.ContainerEvent
	if err := json.Unmarshal(m.Data(), &ev); err != nil || !validID(ev.ID) {
		a.log.Error("malformed container event dropped", "subject", m.Subject(), "seq", md.Sequence.Stream, "id", ev.ID, "err", err)
		_ = m.TermWithReason("malformed container event")
		return
	}
	ctx = bus.ExtractTrace(ctx, nats.Header(m.Headers()))
	ctx, span := tracer.Start(ctx, "proxy.route_event", trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("container.action", ev.Action), attribute.String("container.id", ev.ID),
			attribute.Int64("messaging.sequence", int64(md.Sequence.Stream))))
	defer span.End()
	opCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := a.apply(opCtx, ev, md.Sequence.Stream, md.Timestamp); err != nil {
		span.RecordError(err)
		if md.NumDelivered >= maxAttempts {
			// Events are applied one at a time: one that can never be applied
			// must not hold back every later one.
			a.log.Error("container event given up after repeated failures", "action", ev.Action, "container", ev.ID,
				"seq", md.Sequence.Stream, "attempts", md.NumDelivered, "err", err)
			_ = m.TermWithReason("not applicable: " + err.Error())
			return
		}
		delay := retryDelay(md)
		a.log.Warn("container event not applied; will retry", "action", ev.Action, "container", ev.ID, "err", err, "retry_in", delay)
		_ = m.NakWithDelay(delay)
		return
	}
	_ = m.Ack()
}

func retryDelay(md *jetstream.MsgMetadata) time.Duration {
	return min(time.Duration(md.NumDelivered)*500*time.Millisecond, 10*time.Second)
}

// handleSnapshot applies evt.container.snapshot: the runner's list of every
// platform container that exists, sent after it re-published their states
// ("sync") following a gap in Docker's event stream. A route to a container
// not in the list, written before the snapshot, belongs to a ghost whose
// destroy event was lost: it goes, and the container gets a tombstone so a
// late event of it cannot bring the route back.
func (a *applier) handleSnapshot(ctx context.Context, m jetstream.Msg, md *jetstream.MsgMetadata) {
	var snap msg.ContainerSnapshot
	if err := json.Unmarshal(m.Data(), &snap); err != nil {
		a.log.Error("malformed container snapshot dropped", "seq", md.Sequence.Stream, "err", err)
		_ = m.TermWithReason("malformed container snapshot")
		return
	}
	if snap.Time.IsZero() {
		snap.Time = md.Timestamp
	}
	opCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	n, err := a.applySnapshot(opCtx, snap, md.Sequence.Stream)
	if err != nil {
		if md.NumDelivered >= maxAttempts {
			a.log.Error("container snapshot given up after repeated failures", "seq", md.Sequence.Stream, "err", err)
			_ = m.TermWithReason("not applicable: " + err.Error())
			return
		}
		a.log.Warn("container snapshot not applied; will retry", "err", err)
		_ = m.NakWithDelay(retryDelay(md))
		return
	}
	if n > 0 {
		a.log.Info("routes of vanished containers removed", "routes", n, "snapshot", snap.EventID)
	}
	_ = m.Ack()
}

func (a *applier) applySnapshot(ctx context.Context, snap msg.ContainerSnapshot, seq uint64) (int, error) {
	exists := make(map[string]bool, len(snap.IDs))
	for _, id := range snap.IDs {
		exists[id] = true
	}
	lister, err := a.routes.ListKeys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("list routes: %w", err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	removed := 0
	ghosts := map[string]bool{}
	for _, key := range keys {
		e, err := a.routes.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return removed, fmt.Errorf("read route %s: %w", key, err)
		}
		var r Route
		if json.Unmarshal(e.Value(), &r) != nil || exists[r.ContainerID] || !r.Updated.Before(snap.Time) {
			continue
		}
		err = a.routes.Delete(ctx, key, jetstream.LastRevision(e.Revision()))
		if err != nil && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return removed, fmt.Errorf("delete route %s: %w", key, err)
		}
		if err == nil {
			removed++
		}
		if validID(r.ContainerID) {
			ghosts[r.ContainerID] = true
		}
	}
	for id := range ghosts {
		prev, rev, err := a.getState(ctx, id)
		if err != nil {
			return removed, err
		}
		if rev != 0 && !newer(snap.Time, seq, prev.Time, prev.Seq) {
			continue
		}
		if err := a.putState(ctx, rev, containerState{ContainerID: id, Action: actionSnapshot, Time: snap.Time, Seq: seq}); err != nil {
			return removed, err
		}
	}
	return removed, nil
}

func (a *applier) putState(ctx context.Context, rev uint64, st containerState) error {
	body, _ := json.Marshal(st)
	var err error
	if rev == 0 {
		_, err = a.state.Create(ctx, st.ContainerID, body)
	} else {
		_, err = a.state.Update(ctx, st.ContainerID, body, rev)
	}
	if err != nil {
		return fmt.Errorf("record state of %s: %w", st.ContainerID, err)
	}
	return nil
}

// apply makes the routes bucket say what ev says about its container.
func (a *applier) apply(ctx context.Context, ev msg.ContainerEvent, seq uint64, published time.Time) error {
	when := ev.Time
	if when.IsZero() {
		when = published
	}
	prev, rev, err := a.getState(ctx, ev.ID)
	if err != nil {
		return err
	}
	if rev != 0 && !newer(when, seq, prev.Time, prev.Seq) {
		a.log.Debug("stale container event ignored", "action", ev.Action, "container", ev.ID, "seq", seq, "applied_seq", prev.Seq)
		return nil
	}

	want := routesFor(ev, when)
	held := make([]string, 0, len(want))
	for _, r := range want {
		ok, err := a.upsert(ctx, r)
		if err != nil {
			return err
		}
		if ok {
			held = append(held, r.Label)
		}
	}
	// Whatever this container held before (or could hold by its name and
	// ports) and does not hold now goes, if it is still this container's.
	stale := append(slices.Clone(prev.Labels), Labels(ev.Name, ev.Username, tcpPorts(ev.Ports))...)
	for _, label := range stale {
		if slices.Contains(held, label) || ValidLabel(label) != nil {
			continue
		}
		if err := a.removeIfOwned(ctx, label, ev.ID); err != nil {
			return err
		}
	}

	next := containerState{ContainerID: ev.ID, Action: ev.Action, Time: when, Seq: seq, Live: len(held) > 0, Labels: held}
	if err := a.putState(ctx, rev, next); err != nil {
		return err
	}
	a.log.Debug("container event applied", "action", ev.Action, "container", ev.ID, "labels", held)
	return nil
}

// newer orders events by event time, then by stream sequence.
func newer(t time.Time, seq uint64, pt time.Time, pseq uint64) bool {
	if c := t.Compare(pt); c != 0 {
		return c > 0
	}
	return seq > pseq
}

func (a *applier) getState(ctx context.Context, id string) (containerState, uint64, error) {
	var st containerState
	e, err := a.state.Get(ctx, id)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return st, 0, nil
	case err != nil:
		return st, 0, fmt.Errorf("read state of %s: %w", id, err)
	}
	if err := json.Unmarshal(e.Value(), &st); err != nil {
		// A record we cannot read is overwritten by this event.
		a.log.Error("unreadable feeder state; overwriting", "container", id, "err", err)
		return containerState{}, e.Revision(), nil
	}
	return st, e.Revision(), nil
}

// upsert writes r unless its label is the primary label of another
// container (a container named "web-8080" beats the per-port alias of
// "web"'s port 8080). It reports whether r now holds the label.
func (a *applier) upsert(ctx context.Context, r Route) (bool, error) {
	e, err := a.routes.Get(ctx, r.Label)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
	case err != nil:
		return false, fmt.Errorf("read route %s: %w", r.Label, err)
	default:
		var old Route
		if json.Unmarshal(e.Value(), &old) == nil {
			if old.ContainerID != r.ContainerID && old.Primary && !r.Primary {
				a.log.Info("label held by another container's name; alias skipped", "label", r.Label, "holder", old.ContainerID, "container", r.ContainerID)
				return false, nil
			}
			if sameRoute(old, r) {
				return true, nil
			}
		}
	}
	body, _ := json.Marshal(r)
	if _, err := a.routes.Put(ctx, r.Label, body); err != nil {
		return false, fmt.Errorf("write route %s: %w", r.Label, err)
	}
	return true, nil
}

// removeIfOwned deletes label when it routes to container id.
func (a *applier) removeIfOwned(ctx context.Context, label, id string) error {
	e, err := a.routes.Get(ctx, label)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("read route %s: %w", label, err)
	}
	var old Route
	if json.Unmarshal(e.Value(), &old) == nil && old.ContainerID != id {
		return nil
	}
	if err := a.routes.Delete(ctx, label, jetstream.LastRevision(e.Revision())); err != nil {
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) { // changed meanwhile: its new writer owns it
			return nil
		}
		return fmt.Errorf("delete route %s: %w", label, err)
	}
	return nil
}

func sameRoute(a, b Route) bool {
	a.Updated, b.Updated = time.Time{}, time.Time{}
	return a == b
}

// live says whether ev describes a container that serves.
func live(ev msg.ContainerEvent) bool {
	if downActions[ev.Action] {
		return false
	}
	if ev.State != "" {
		return ev.State == "running"
	}
	return upActions[ev.Action]
}

// tcpPorts is the sorted, de-duplicated list of ev's TCP ports.
func tcpPorts(ps []msg.PortSpec) []int {
	var out []int
	for _, p := range ps {
		if (p.Protocol == "" || p.Protocol == "tcp") && p.Container >= 1 && p.Container <= 65535 {
			out = append(out, p.Container)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// routesFor is the routes ev asks for: none unless the container is running
// with an address on its owner's network and at least one TCP port.
func routesFor(ev msg.ContainerEvent, when time.Time) []Route {
	ip, err := netip.ParseAddr(ev.IP)
	ports := tcpPorts(ev.Ports)
	if !live(ev) || err != nil || ip.IsUnspecified() || len(ports) == 0 || ev.Owner == "" || ev.Username == "" {
		return nil
	}
	labels := Labels(ev.Name, ev.Username, ports)
	out := make([]Route, 0, len(labels))
	for i, label := range labels {
		port := ports[0]
		if i > 0 {
			port = ports[i-1]
		}
		r := Route{
			Label: label, Target: netip.AddrPortFrom(ip, uint16(port)).String(),
			Owner: ev.Owner, Username: ev.Username, Name: ev.Name, ContainerID: ev.ID,
			Port: port, Private: ev.PrivateLink, Primary: i == 0, Updated: when.UTC(),
		}
		if r.Validate() == nil {
			out = append(out, r)
		}
	}
	return out
}
