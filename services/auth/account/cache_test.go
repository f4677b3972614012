package account

import (
	"testing"
	"time"

	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
)

// TestForgetUser: a forgotten user's sessions are gone at once, and an
// answer computed before the forget (a session check in flight while an
// admin disabled the user) is not cached afterwards.
func TestForgetUser(t *testing.T) {
	now := time.Unix(1000, 0)
	c := NewSessionCache(time.Minute, 10)
	alice := msg.Session{Caller: identity.Caller{UserID: "a", Username: "alice", Role: identity.RoleUser}}
	bob := msg.Session{Caller: identity.Caller{UserID: "b", Username: "bob", Role: identity.RoleUser}}
	ka, kb := cacheKey(msg.SessionCheck{Token: "ta"}), cacheKey(msg.SessionCheck{Token: "tb"})

	c.put(ka, alice, now, time.Time{}, c.Epoch())
	c.put(kb, bob, now, time.Time{}, c.Epoch())
	inFlight := c.Epoch()
	c.ForgetUser("a")
	if _, ok := c.get(ka, now); ok {
		t.Error("alice still cached after ForgetUser")
	}
	if _, ok := c.get(kb, now); !ok {
		t.Error("bob forgotten with alice")
	}
	c.put(ka, alice, now, time.Time{}, inFlight)
	if _, ok := c.get(ka, now); ok {
		t.Error("a stale answer from before the forget was cached")
	}
	c.put(ka, alice, now, time.Time{}, c.Epoch())
	if _, ok := c.get(ka, now); !ok {
		t.Error("a fresh answer was not cached")
	}
	if _, ok := c.get(ka, now.Add(2*time.Minute)); ok {
		t.Error("entry outlived the TTL")
	}
	if _, ok := c.get(cacheKey(msg.SessionCheck{Token: "x"}), now); ok {
		t.Error("unknown key found")
	}
}
