package jobs

import "time"

// Throttle thins out progress: per key (a layer, a service) it lets at most
// one update through per interval, but always lets a change of status
// through, so no step ("Downloading" → "Download complete") is ever lost.
// Docker reports a busy download many times a second; a browser needs ~10.
// It is not safe for concurrent use: one job reports from one goroutine.
type Throttle struct {
	every time.Duration
	// Now is the clock (tests set it).
	Now  func() time.Time
	last map[string]sent
}

type sent struct {
	at     time.Time
	status string
}

// DefaultEvery is ~10 updates a second per key.
const DefaultEvery = 100 * time.Millisecond

// NewThrottle lets one update per key through every interval.
func NewThrottle(every time.Duration) *Throttle {
	return &Throttle{every: every, Now: time.Now, last: map[string]sent{}}
}

// Allow reports whether an update of key with status should be sent, and
// if so records it as sent.
func (t *Throttle) Allow(key, status string) bool {
	now := t.Now()
	if l, ok := t.last[key]; ok && l.status == status && now.Sub(l.at) < t.every {
		return false
	}
	t.last[key] = sent{at: now, status: status}
	return true
}
