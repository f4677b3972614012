package build

import (
	"context"
	"sync"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
)

// slots shares the runner's build slots fairly: at most total builds run
// at once, at most perUser of them for one user, and waiting builds start
// in the order they arrived among those whose user is under the cap. One
// user queueing many builds therefore holds perUser slots, never all.
type slots struct {
	mu      sync.Mutex
	free    int
	perUser int
	running map[string]int
	queue   []*slotWaiter
	// pending counts each user's builds between Start and their end
	// (waiting or running), against maxPending: a queued build holds its
	// context in memory, so one user cannot queue without bound.
	pending    map[string]int
	maxPending int
}

type slotWaiter struct {
	user    string
	granted chan struct{}
}

func newSlots(total, perUser, maxPending int) *slots {
	return &slots{free: total, perUser: perUser, running: map[string]int{}, pending: map[string]int{}, maxPending: maxPending}
}

// reserve counts a build of user from its start to its end (done), or
// refuses it when the user already has maxPending.
func (s *slots) reserve(user string) (done func(), ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending[user] >= s.maxPending {
		return nil, false
	}
	s.pending[user]++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.pending[user]--; s.pending[user] <= 0 {
				delete(s.pending, user)
			}
		})
	}, true
}

// acquire waits for a slot for user. wait is called once, before waiting,
// if no slot is free at once (to say so). The returned release must be
// called when the build ends.
func (s *slots) acquire(ctx context.Context, user string, wait func()) (release func(), err error) {
	w := &slotWaiter{user: user, granted: make(chan struct{})}
	s.mu.Lock()
	s.queue = append(s.queue, w)
	s.dispatch()
	s.mu.Unlock()
	release = func() { s.release(user) }
	select {
	case <-w.granted:
		return release, nil
	default:
	}
	if wait != nil {
		wait()
	}
	select {
	case <-w.granted:
		return release, nil
	case <-ctx.Done():
		s.mu.Lock()
		defer s.mu.Unlock()
		select {
		case <-w.granted: // granted meanwhile: give it back
			s.releaseLocked(user)
		default:
			s.remove(w)
		}
		return nil, context.Cause(ctx)
	}
}

func (s *slots) release(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releaseLocked(user)
}

func (s *slots) releaseLocked(user string) {
	s.free++
	if s.running[user]--; s.running[user] <= 0 {
		delete(s.running, user)
	}
	s.dispatch()
}

// dispatch grants free slots to the first waiters whose user is under the
// per-user cap.
func (s *slots) dispatch() {
	for i := 0; i < len(s.queue) && s.free > 0; {
		w := s.queue[i]
		if s.running[w.user] >= s.perUser {
			i++
			continue
		}
		s.free--
		s.running[w.user]++
		close(w.granted)
		s.queue = append(s.queue[:i], s.queue[i+1:]...)
	}
}

func (s *slots) remove(w *slotWaiter) {
	for i, q := range s.queue {
		if q == w {
			s.queue = append(s.queue[:i], s.queue[i+1:]...)
			return
		}
	}
}

// Reserve counts one more build of c's until done is called (when the build
// has ended), or refuses it when c already has as many waiting or running
// as a user may (BUILD_QUEUE_PER_USER).
func (b *Builder) Reserve(c identity.Caller) (done func(), err error) {
	done, ok := b.slots.reserve(c.UserID)
	if !ok {
		e := apierr.New(apierr.CodeQuota, "you have %d builds waiting or running; start more when one has finished", b.slots.maxPending)
		e.Rule = RuleBuildQueue
		return nil, e
	}
	return done, nil
}

// RuleBuildQueue refuses a build beyond a user's share of the queue.
const RuleBuildQueue = "build-queue"
