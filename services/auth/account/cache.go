package account

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/dockeronline/platform/pkg/msg"
)

// SessionCache remembers resolved sessions briefly, so a page that makes
// twenty API calls costs Kratos one. Keys are hashes: the cache never holds
// a usable credential. Size is bounded; when full, expired entries go first,
// then arbitrary ones (any entry is cheap to rebuild).
//
// Admin actions (disable, delete, role change) call ForgetUser. A session
// check that was already under way when that happened must not put its
// stale answer back: every ForgetUser bumps an epoch, and an answer is only
// cached if the epoch did not move while it was computed.
type SessionCache struct {
	ttl   time.Duration
	max   int
	mu    sync.Mutex
	m     map[[32]byte]cached
	epoch uint64
}

type cached struct {
	s       msg.Session
	expires time.Time
}

// NewSessionCache returns a cache keeping sessions for ttl (0 disables it)
// and at most max of them.
func NewSessionCache(ttl time.Duration, max int) *SessionCache {
	if max <= 0 {
		max = 10000
	}
	return &SessionCache{ttl: ttl, max: max, m: map[[32]byte]cached{}}
}

// Epoch is the current invalidation epoch; pass it to put.
func (c *SessionCache) Epoch() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

func cacheKey(req msg.SessionCheck) [32]byte {
	if req.Token != "" {
		return sha256.Sum256([]byte("t\x00" + req.Token))
	}
	return sha256.Sum256([]byte("c\x00" + req.Cookie))
}

func (c *SessionCache) get(k [32]byte, now time.Time) (msg.Session, bool) {
	if c.ttl <= 0 {
		return msg.Session{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || now.After(e.expires) {
		return msg.Session{}, false
	}
	return e.s, true
}

// put caches s until ttl from now, or until the session expires if sooner,
// unless a user was forgotten since epoch was read.
func (c *SessionCache) put(k [32]byte, s msg.Session, now, sessionExpiry time.Time, epoch uint64) {
	if c.ttl <= 0 {
		return
	}
	exp := now.Add(c.ttl)
	if !sessionExpiry.IsZero() && sessionExpiry.Before(exp) {
		exp = sessionExpiry
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
		return
	}
	if len(c.m) >= c.max {
		c.evict(now)
	}
	c.m[k] = cached{s: s, expires: exp}
}

func (c *SessionCache) evict(now time.Time) {
	for k, e := range c.m {
		if now.After(e.expires) {
			delete(c.m, k)
		}
	}
	for k := range c.m {
		if len(c.m) < c.max {
			return
		}
		delete(c.m, k)
	}
}

// ForgetUser drops every cached session of a user (disabled, deleted, role
// changed), so the change holds from the next request on.
func (c *SessionCache) ForgetUser(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for k, e := range c.m {
		if e.s.UserID == userID {
			delete(c.m, k)
		}
	}
}
