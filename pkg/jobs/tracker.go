package jobs

import (
	"context"
	"sync"
)

// Tracker counts the jobs a service runs in the background so it can stop
// them at shutdown: Stop cancels Context and waits until every tracked job
// has called Done (each job records its end first, so none is left
// "running"). The runner's pull, build and stack services share it.
type Tracker struct {
	mu     sync.Mutex
	wg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
}

// NewTracker returns a running tracker.
func NewTracker() *Tracker {
	ctx, cancel := context.WithCancel(context.Background())
	return &Tracker{ctx: ctx, cancel: cancel}
}

// Context is the jobs' context, cancelled by Stop.
func (t *Tracker) Context() context.Context { return t.ctx }

// Track counts a job about to start, unless the tracker is stopping; a job
// tracked must call Done when it has ended.
func (t *Tracker) Track() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ctx.Err() != nil {
		return false
	}
	t.wg.Add(1)
	return true
}

// Done marks a tracked job ended.
func (t *Tracker) Done() { t.wg.Done() }

// Stop cancels the jobs and waits for them to end.
func (t *Tracker) Stop() {
	t.mu.Lock()
	t.cancel()
	t.mu.Unlock()
	t.wg.Wait()
}
