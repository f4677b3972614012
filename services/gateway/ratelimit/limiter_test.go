package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

// clock is a manual clock: tests move time, never sleep.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestLimiter(rate float64, burst, maxUsers int) (*Limiter, *clock) {
	c := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	return New(Options{Rate: rate, Burst: burst, MaxUsers: maxUsers, Now: c.now}), c
}

// step is one call at a moment: advance the clock, call Allow for key,
// expect the outcome (and, when refused, the wait).
type step struct {
	advance  time.Duration
	key      string
	allowed  bool
	wantWait time.Duration
}

func TestAllow(t *testing.T) {
	a := func(key string) step { return step{key: key, allowed: true} }
	tests := []struct {
		name  string
		rate  float64
		burst int
		steps []step
	}{
		{"burst then refusal with the wait for one token", 2, 3, []step{
			a("u"), a("u"), a("u"),
			{key: "u", wantWait: 500 * time.Millisecond},
		}},
		{"refill at the rate", 2, 3, []step{
			a("u"), a("u"), a("u"),
			{advance: 250 * time.Millisecond, key: "u", wantWait: 250 * time.Millisecond},
			{advance: 250 * time.Millisecond, key: "u", allowed: true},
			{key: "u", wantWait: 500 * time.Millisecond},
		}},
		{"never more than the burst after a long pause", 10, 2, []step{
			a("u"), a("u"),
			{advance: time.Hour, key: "u", allowed: true}, a("u"),
			{key: "u", wantWait: 100 * time.Millisecond},
		}},
		{"users do not share a bucket", 1, 1, []step{
			a("alice"), {key: "alice", wantWait: time.Second},
			a("bob"), {key: "bob", wantWait: time.Second},
		}},
		{"a slow steady caller is never refused", 1, 1, []step{
			a("u"),
			{advance: time.Second, key: "u", allowed: true},
			{advance: time.Second, key: "u", allowed: true},
			{advance: 1500 * time.Millisecond, key: "u", allowed: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, c := newTestLimiter(tt.rate, tt.burst, 0)
			for i, s := range tt.steps {
				c.advance(s.advance)
				ok, wait := l.Allow(s.key)
				if ok != s.allowed {
					t.Fatalf("step %d (%s): allowed=%v, want %v", i, s.key, ok, s.allowed)
				}
				if !ok && wait != s.wantWait {
					t.Fatalf("step %d (%s): wait %v, want %v", i, s.key, wait, s.wantWait)
				}
			}
		})
	}
}

func TestDisabledAllowsEverything(t *testing.T) {
	l, _ := newTestLimiter(0, 1, 0)
	for i := range 1000 {
		if ok, _ := l.Allow("u"); !ok {
			t.Fatalf("call %d refused with the limiter off", i)
		}
	}
	if l.Len() != 0 {
		t.Fatalf("a disabled limiter keeps %d buckets", l.Len())
	}
}

// TestMemoryBounded: full (idle) buckets are swept, and no more than
// MaxUsers are ever held, however many users call.
func TestMemoryBounded(t *testing.T) {
	t.Run("idle buckets are dropped", func(t *testing.T) {
		l, c := newTestLimiter(10, 5, 0) // refills in 500ms; sweeps at most once a second
		for i := range 100 {
			l.Allow(fmt.Sprint("user-", i))
		}
		if n := l.Len(); n != 100 {
			t.Fatalf("%d buckets, want 100", n)
		}
		c.advance(time.Second)
		l.Allow("late")
		if n := l.Len(); n != 1 {
			t.Fatalf("%d buckets after everyone went idle, want 1 (the new caller)", n)
		}
	})
	t.Run("never more than MaxUsers", func(t *testing.T) {
		l, c := newTestLimiter(1, 5, 50)
		for i := range 1000 {
			c.advance(time.Millisecond)
			l.Allow(fmt.Sprint("user-", i))
			if n := l.Len(); n > 50 {
				t.Fatalf("%d buckets after %d users, want at most 50", n, i+1)
			}
		}
		// The newest caller's bucket survived the evictions: it is
		// still being charged.
		for range 4 {
			l.Allow("user-999")
		}
		if ok, _ := l.Allow("user-999"); ok {
			t.Fatal("user-999's sixth call passed: its bucket was evicted instead of the oldest")
		}
	})
}
