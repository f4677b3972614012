package account

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/dockeronline/platform/pkg/msg"
)

// sessionCache remembers resolved sessions briefly, so a page that makes
// twenty API calls costs Kratos one. Keys are hashes: the cache never holds
// a usable credential. Size is bounded; when full, expired entries go first,
// then arbitrary ones (any entry is cheap to rebuild).
type sessionCache struct {
	ttl time.Duration
	max int
	mu  sync.Mutex
	m   map[[32]byte]cached
}

type cached struct {
	s       msg.Session
	expires time.Time
}

func newSessionCache(ttl time.Duration, max int) *sessionCache {
	return &sessionCache{ttl: ttl, max: max, m: map[[32]byte]cached{}}
}

func cacheKey(req msg.SessionCheck) [32]byte {
	if req.Token != "" {
		return sha256.Sum256([]byte("t\x00" + req.Token))
	}
	return sha256.Sum256([]byte("c\x00" + req.Cookie))
}

func (c *sessionCache) get(k [32]byte, now time.Time) (msg.Session, bool) {
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

// put caches s until ttl from now, or until the session expires if sooner.
func (c *sessionCache) put(k [32]byte, s msg.Session, now, sessionExpiry time.Time) {
	if c.ttl <= 0 {
		return
	}
	exp := now.Add(c.ttl)
	if !sessionExpiry.IsZero() && sessionExpiry.Before(exp) {
		exp = sessionExpiry
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		c.evict(now)
	}
	c.m[k] = cached{s: s, expires: exp}
}

func (c *sessionCache) evict(now time.Time) {
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

// forgetUser drops every cached session of a user (disabled, deleted, role
// changed), so the change holds from the next request on.
func (c *sessionCache) forgetUser(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		if e.s.UserID == userID {
			delete(c.m, k)
		}
	}
}
