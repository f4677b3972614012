package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Get returns a job's metadata. A missing, expired or malformed id is "not
// found". A running job whose heartbeat stopped is reported failed (lost),
// so nobody waits forever on a job whose runner died.
func Get(ctx context.Context, js jetstream.JetStream, id string) (msg.Job, error) {
	j, err := load(ctx, js, id)
	if err != nil {
		return msg.Job{}, err
	}
	if lost(j, time.Now()) {
		j.State, j.Error = msg.JobFailed, errLost()
	}
	return j, nil
}

func load(ctx context.Context, js jetstream.JetStream, id string) (msg.Job, error) {
	if !ValidID(id) {
		return msg.Job{}, errNotFound(id)
	}
	kv, err := js.KeyValue(ctx, subjects.JobsBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return msg.Job{}, errNotFound(id) // no job was ever started
	}
	if err != nil {
		return msg.Job{}, apierr.New(apierr.CodeUnavailable, "the job store is not available: %v", err)
	}
	e, err := kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return msg.Job{}, errNotFound(id)
	}
	if err != nil {
		return msg.Job{}, apierr.New(apierr.CodeUnavailable, "the job store is not available: %v", err)
	}
	var j msg.Job
	if err := json.Unmarshal(e.Value(), &j); err != nil {
		return msg.Job{}, apierr.New(apierr.CodeInternal, "job %q is unreadable: %v", id, err)
	}
	return j, nil
}

func lost(j msg.Job, now time.Time) bool {
	return j.State == msg.JobRunning && now.Sub(j.Updated) > StaleAfter
}

func errLost() *apierr.Error {
	return apierr.New(apierr.CodeUnavailable, "the job stopped reporting: the runner doing it stopped before it ended; start it again")
}

// WatchOption adjusts a Watch.
type WatchOption func(*watchConfig)

type watchConfig struct {
	after uint64
	check time.Duration
}

// After resumes after the event with stream sequence seq (the SSE
// Last-Event-ID of a reconnecting browser); 0 replays everything.
func After(seq uint64) WatchOption { return func(c *watchConfig) { c.after = seq } }

// CheckEvery sets how often a watch checks that the job is still alive
// (default Heartbeat).
func CheckEvery(d time.Duration) WatchOption { return func(c *watchConfig) { c.check = d } }

// Watch replays a job's events, then follows it live. The channel is
// closed after the final event (done or error), when ctx ends, or if the
// stream fails (a reader may then watch again from the last Seq it got).
// If the job is lost or expires while watched, Watch sends an error event
// of its own (Seq 0) and ends. Callers check ownership first (Get,
// Authorize): Watch shows any job to whoever asks.
func Watch(ctx context.Context, js jetstream.JetStream, id string, opts ...WatchOption) (<-chan msg.JobEvent, error) {
	cfg := watchConfig{check: Heartbeat}
	for _, o := range opts {
		o(&cfg)
	}
	if !ValidID(id) {
		return nil, errNotFound(id)
	}
	occ := jetstream.OrderedConsumerConfig{FilterSubjects: []string{subjects.JobProgress(id)}}
	if cfg.after > 0 {
		occ.DeliverPolicy, occ.OptStartSeq = jetstream.DeliverByStartSequencePolicy, cfg.after+1
	}
	cons, err := js.OrderedConsumer(ctx, subjects.JobsStream, occ)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, errNotFound(id)
	}
	if err != nil {
		return nil, apierr.New(apierr.CodeUnavailable, "the job stream is not available: %v", err)
	}
	it, err := cons.Messages()
	if err != nil {
		return nil, apierr.New(apierr.CodeUnavailable, "the job stream is not available: %v", err)
	}
	w := &watch{js: js, id: id, it: it, out: make(chan msg.JobEvent, 64), raw: make(chan jetstream.Msg), done: make(chan struct{})}
	go w.pump()
	go w.run(ctx, cfg.check)
	return w.out, nil
}

type watch struct {
	js   jetstream.JetStream
	id   string
	it   jetstream.MessagesContext
	out  chan msg.JobEvent
	raw  chan jetstream.Msg
	done chan struct{}
}

// pump moves messages from the blocking iterator to raw, so run can wait
// on them, ctx and its liveness check at once.
func (w *watch) pump() {
	defer close(w.raw)
	for {
		m, err := w.it.Next()
		if err != nil {
			return
		}
		select {
		case w.raw <- m:
		case <-w.done:
			return
		}
	}
}

func (w *watch) run(ctx context.Context, check time.Duration) {
	defer close(w.out)
	defer w.it.Stop()
	defer close(w.done)
	// The first check comes soon, so a reader of a job that was lost
	// before they came learns it after the replay, not a period later.
	tick := time.NewTicker(min(check, time.Second))
	defer tick.Stop()
	first := true
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-w.raw:
			if !ok {
				return
			}
			var ev msg.JobEvent
			if err := json.Unmarshal(m.Data(), &ev); err != nil {
				continue // not ours to interpret; the stream holds only job events
			}
			if md, err := m.Metadata(); err == nil {
				ev.Seq = md.Sequence.Stream
			}
			if !w.send(ctx, ev) || ev.Terminal() {
				return
			}
		case <-tick.C:
			if first {
				tick.Reset(check)
				first = false
			}
			j, err := load(ctx, w.js, w.id)
			var ae *apierr.Error
			switch {
			case errors.As(err, &ae) && ae.Code == apierr.CodeNotFound:
				w.send(ctx, msg.JobEvent{Job: w.id, Type: msg.JobEventError, Time: time.Now().UTC(),
					Error: apierr.NotFound("job %q expired before it ended", w.id)})
				return
			case err == nil && lost(j, time.Now()):
				w.send(ctx, msg.JobEvent{Job: w.id, Type: msg.JobEventError, Time: time.Now().UTC(), Error: errLost()})
				return
			}
		}
	}
}

func (w *watch) send(ctx context.Context, ev msg.JobEvent) bool {
	select {
	case w.out <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

// LastSeq is the stream sequence of a job's newest event, 0 if it has
// none. A reader resuming at or past it on an ended job has seen it all.
func LastSeq(ctx context.Context, js jetstream.JetStream, id string) (uint64, error) {
	if !ValidID(id) {
		return 0, errNotFound(id)
	}
	s, err := js.Stream(ctx, subjects.JobsStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, apierr.New(apierr.CodeUnavailable, "the job stream is not available: %v", err)
	}
	m, err := s.GetLastMsgForSubject(ctx, subjects.JobProgress(id))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, apierr.New(apierr.CodeUnavailable, "the job stream is not available: %v", err)
	}
	return m.Sequence, nil
}
