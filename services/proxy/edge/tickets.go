package edge

import (
	"sync"
	"time"
)

// tickets remembers the ids of redeemed link tickets until they expire, so
// each ticket opens a cookie once: one that leaked (history, a log, a
// shoulder) after its owner used it is worthless. This is the proxy's own
// memory; sharedTickets makes it hold across several proxies.
type tickets struct {
	mu   sync.Mutex
	used map[string]time.Time // id -> expiry
	max  int
	next time.Time // next sweep of expired ids
}

// maxTickets bounds the memory: a ticket is ~60 bytes here; redemptions
// need a signed ticket, so this is reached only by a busy platform, where
// refusing (the browser asks the gateway again) is safe.
const maxTickets = 200_000

func newTickets() *tickets { return &tickets{used: map[string]time.Time{}, max: maxTickets} }

// redeem records id as used until expiry and reports whether this was its
// first use. When full of unexpired ids it refuses (fails closed).
func (t *tickets) redeem(id string, expiry, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.After(t.next) || len(t.used) >= t.max {
		for k, exp := range t.used {
			if !now.Before(exp) {
				delete(t.used, k)
			}
		}
		t.next = now.Add(time.Minute)
	}
	if exp, seen := t.used[id]; seen && now.Before(exp) {
		return false
	}
	if len(t.used) >= t.max {
		return false
	}
	t.used[id] = expiry
	return true
}
