package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// ErrEnded is returned by a job that has already ended.
var ErrEnded = errors.New("job has already ended")

// publishTimeout bounds one write to JetStream, retries included.
const publishTimeout = 10 * time.Second

// Option adjusts a job at Start.
type Option func(*Job)

// Target names what the job works on ("127.0.0.1:5000/app:1"), for display.
func Target(s string) Option { return func(j *Job) { j.meta.Target = s } }

// Job is a running job, on the side doing the work. Its methods are safe
// for concurrent use; events are published in the order of the calls, and
// nothing is published after Done or Fail.
type Job struct {
	js jetstream.JetStream
	kv jetstream.KeyValue
	// ctx carries the starting request's values (trace, caller) into every
	// publish, but is never cancelled: the job outlives that request.
	ctx context.Context

	mu   sync.Mutex
	meta msg.Job
	n    uint64 // events published; numbers the de-duplication ids
	stop chan struct{}
	beat sync.WaitGroup
}

// Start records a new running job of kind for owner and returns it at
// once; the caller does the work (typically in a goroutine) and ends it.
func Start(ctx context.Context, js jetstream.JetStream, kind msg.JobKind, owner identity.Caller, opts ...Option) (*Job, error) {
	if owner.UserID == "" {
		return nil, apierr.New(apierr.CodeUnauthenticated, "a job needs an owner")
	}
	kv, err := bucket(ctx, js)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	j := &Job{
		js: js, kv: kv, ctx: context.WithoutCancel(ctx), stop: make(chan struct{}),
		meta: msg.Job{ID: newID(), Kind: kind, Owner: owner.UserID, Username: owner.Username, State: msg.JobRunning, Created: now, Updated: now},
	}
	for _, o := range opts {
		o(j)
	}
	// Create, not Put: a (vanishingly unlikely) id collision must fail
	// rather than take over another user's job.
	body, _ := json.Marshal(j.meta)
	if _, err := kv.Create(ctx, j.meta.ID, body); err != nil {
		return nil, apierr.New(apierr.CodeUnavailable, "could not record the job: %v", err)
	}
	j.beat.Add(1)
	go j.heartbeat(Heartbeat)
	return j, nil
}

// bucket opens the jobs bucket, creating it and the stream if need be.
func bucket(ctx context.Context, js jetstream.JetStream) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, subjects.JobsBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		if err = Ensure(ctx, js); err == nil {
			kv, err = js.KeyValue(ctx, subjects.JobsBucket)
		}
	}
	if err != nil {
		return nil, apierr.New(apierr.CodeUnavailable, "the job store is not available: %v", err)
	}
	return kv, nil
}

// ID is the job's id.
func (j *Job) ID() string { return j.meta.ID }

// Info is the job's current metadata.
func (j *Job) Info() msg.Job {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.meta
}

// Progress publishes one progress event; v is the kind's progress payload
// (see msg.JobKind). A failed publish is returned for the caller to log:
// progress is worth losing rather than stopping the work for.
func (j *Job) Progress(v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode progress: %w", err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.meta.State.Terminal() {
		return ErrEnded
	}
	return j.publish(msg.JobEvent{Type: msg.JobEventProgress, Progress: body}, 1)
}

// Done ends the job successfully with result (the kind's result payload).
func (j *Job) Done(result any) error {
	body, err := json.Marshal(result)
	if err != nil {
		return j.Fail(apierr.New(apierr.CodeInternal, "could not encode the job's result: %v", err))
	}
	return j.end(msg.JobEvent{Type: msg.JobEventDone, Result: body})
}

// Fail ends the job with err, which readers are shown as is (it may quote
// Docker's own text). A nil err is recorded as an internal error.
func (j *Job) Fail(err *apierr.Error) error {
	if err == nil {
		err = apierr.New(apierr.CodeInternal, "the job failed")
	}
	return j.end(msg.JobEvent{Type: msg.JobEventError, Error: err})
}

// end publishes the final event, then the final state. The event goes
// first: a reader that sees the final state can count on the event being
// in the stream already.
func (j *Job) end(ev msg.JobEvent) error {
	j.mu.Lock()
	if j.meta.State.Terminal() {
		j.mu.Unlock()
		return ErrEnded
	}
	j.meta.Updated = time.Now().UTC()
	if ev.Type == msg.JobEventDone {
		j.meta.State, j.meta.Result = msg.JobDone, ev.Result
	} else {
		j.meta.State, j.meta.Error = msg.JobFailed, ev.Error
	}
	close(j.stop)
	errEv := j.publish(ev, 3)
	errKV := j.save(3)
	j.mu.Unlock()
	j.beat.Wait()
	return errors.Join(errEv, errKV)
}

// publish sends ev on the job's subject and waits for JetStream's ack,
// trying up to attempts times within publishTimeout; each try has the same
// de-duplication id, so a retry after a lost ack is stored once. Callers
// hold j.mu.
func (j *Job) publish(ev msg.JobEvent, attempts int) error {
	j.n++
	ev.Job, ev.Time = j.meta.ID, time.Now().UTC()
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode job event: %w", err)
	}
	id := fmt.Sprintf("%s-%d", j.meta.ID, j.n)
	return j.retry(attempts, func(ctx context.Context) error {
		m := nats.NewMsg(subjects.JobProgress(j.meta.ID))
		m.Data = body
		bus.InjectHeaders(ctx, m.Header)
		_, err := j.js.PublishMsg(ctx, m, jetstream.WithMsgID(id))
		return err
	})
}

// save writes the metadata to the bucket. Callers hold j.mu.
func (j *Job) save(attempts int) error {
	body, err := json.Marshal(j.meta)
	if err != nil {
		return err
	}
	return j.retry(attempts, func(ctx context.Context) error {
		_, err := j.kv.Put(ctx, j.meta.ID, body)
		return err
	})
}

// retry runs fn up to attempts times, all within one publishTimeout: a
// bus that is going away (shutdown drains it) costs a bounded wait, and a
// lost job is then found by its stale heartbeat.
func (j *Job) retry(attempts int, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(j.ctx, publishTimeout)
	defer cancel()
	var err error
	for i := range attempts {
		if err = fn(ctx); err == nil {
			return nil
		}
		if i == attempts-1 {
			break
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(i+1) * 250 * time.Millisecond):
		}
	}
	return err
}

// heartbeat refreshes Updated while the job runs: readers tell a slow job
// from a lost one by it, and it keeps the record from expiring under a job
// that runs longer than Retention.
func (j *Job) heartbeat(every time.Duration) {
	defer j.beat.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-j.stop:
			return
		case <-t.C:
			j.mu.Lock()
			if !j.meta.State.Terminal() {
				j.meta.Updated = time.Now().UTC()
				_ = j.save(1) // the next beat tries again
			}
			j.mu.Unlock()
		}
	}
}
