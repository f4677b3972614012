// Package ratelimit bounds how fast one user may call the API: a token
// bucket per user id, filled at Rate tokens a second up to Burst. It runs
// after authentication (the key is who the caller is, not where they come
// from), so one user's flood of calls is refused at the gateway, before it
// costs the runner or Docker anything, while other users go on as usual.
//
// Memory is bounded: a bucket left alone long enough to fill up again is
// indistinguishable from a new one, so it is dropped; past MaxUsers buckets
// the oldest-touched are dropped too (those users merely get a fresh burst).
package ratelimit

import (
	"math"
	"sync"
	"time"
)

// Options tune the limiter. See LoadOptions for the environment.
type Options struct {
	// Rate is the sustained calls per second per user; 0 or less turns
	// the limiter off.
	Rate float64
	// Burst is how many calls a user may make at once after a pause.
	Burst int
	// MaxUsers bounds the buckets kept in memory.
	MaxUsers int
	// Now is the clock (tests).
	Now func() time.Time
}

// Defaults, also documented in the gateway's configuration.
const (
	DefaultRate     = 20
	DefaultBurst    = 60
	DefaultMaxUsers = 100000
)

func (o *Options) defaults() {
	if o.Burst <= 0 {
		o.Burst = DefaultBurst
	}
	if o.MaxUsers <= 0 {
		o.MaxUsers = DefaultMaxUsers
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Limiter holds one token bucket per key (user id).
type Limiter struct {
	opts Options
	// refill is how long an empty bucket takes to fill: a bucket untouched
	// for that long is full, the same as no bucket at all.
	refill time.Duration

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time // when tokens was computed
}

// New returns a limiter; with Rate <= 0 it allows everything.
func New(o Options) *Limiter {
	o.defaults()
	l := &Limiter{opts: o, buckets: map[string]*bucket{}, lastSweep: o.Now()}
	if o.Rate > 0 {
		l.refill = time.Duration(float64(o.Burst) / o.Rate * float64(time.Second))
	}
	return l
}

// Enabled reports whether the limiter refuses anything at all.
func (l *Limiter) Enabled() bool { return l.opts.Rate > 0 }

// Allow takes one token from key's bucket. When the bucket is empty it
// returns false and how long until a token is there again.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	if !l.Enabled() {
		return true, 0
	}
	now := l.opts.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.maybeSweep(now)
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.opts.MaxUsers {
			l.evictOldest()
		}
		b = &bucket{tokens: float64(l.opts.Burst), last: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = math.Min(float64(l.opts.Burst), b.tokens+elapsed.Seconds()*l.opts.Rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.opts.Rate * float64(time.Second))
	return false, wait
}

// Len is the number of buckets held (tests, metrics).
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// maybeSweep drops full buckets, at most once per refill period, so the
// cost is spread over many calls.
func (l *Limiter) maybeSweep(now time.Time) {
	period := max(l.refill, time.Second)
	if now.Sub(l.lastSweep) < period {
		return
	}
	l.lastSweep = now
	for k, b := range l.buckets {
		if now.Sub(b.last) >= l.refill {
			delete(l.buckets, k)
		}
	}
}

// evictOldest drops the bucket touched longest ago. It only runs when
// MaxUsers distinct users were active within one refill period; its cost,
// a scan, is paid by the newcomer.
func (l *Limiter) evictOldest() {
	var oldest string
	var at time.Time
	for k, b := range l.buckets {
		if oldest == "" || b.last.Before(at) {
			oldest, at = k, b.last
		}
	}
	delete(l.buckets, oldest)
}
