// Package loginlimit slows password guessing at the gateway. Kratos v1.3
// has no lockout of its own (it offers only its password policy and, in
// Ory's cloud, rate limits), so the gateway counts failed sign-ins on the
// path it proxies to Kratos (POST …/self-service/login) per client address
// and identifier. After MaxFailures failures in Window the pair is locked
// out for BaseLockout, and each further failure doubles that, up to
// MaxLockout. A success clears the count. While locked out, a sign-in is
// answered 429 with Retry-After, without reaching Kratos, so even the right
// password does not get through.
//
// Keying on address and identifier together means an attacker cannot lock
// a user out from elsewhere; the address is the connection's (put the
// gateway's own proxy in ClientIP when there is one in front).
package loginlimit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dockeronline/platform/pkg/config"
)

// Options tune the limiter; zero values take the defaults.
type Options struct {
	MaxFailures int           // LOGIN_MAX_FAILURES, default 5
	Window      time.Duration // LOGIN_FAILURE_WINDOW, default 15m
	BaseLockout time.Duration // LOGIN_LOCKOUT, default 1m
	MaxLockout  time.Duration // LOGIN_MAX_LOCKOUT, default 1h
	MaxEntries  int           // entries kept at most (default 100000)
	// ClientIP tells the client's address; default: the connection's.
	ClientIP func(*http.Request) string
	// Now is the clock (tests).
	Now func() time.Time
}

// LoadOptions reads the options from the environment (see Options).
func LoadOptions(e *config.Env) Options {
	return Options{
		MaxFailures: e.Int("LOGIN_MAX_FAILURES", 5),
		Window:      e.Duration("LOGIN_FAILURE_WINDOW", 15*time.Minute),
		BaseLockout: e.Duration("LOGIN_LOCKOUT", time.Minute),
		MaxLockout:  e.Duration("LOGIN_MAX_LOCKOUT", time.Hour),
	}
}

func (o *Options) defaults() {
	if o.MaxFailures <= 0 {
		o.MaxFailures = 5
	}
	if o.Window <= 0 {
		o.Window = 15 * time.Minute
	}
	if o.BaseLockout <= 0 {
		o.BaseLockout = time.Minute
	}
	if o.MaxLockout < o.BaseLockout {
		o.MaxLockout = max(time.Hour, o.BaseLockout)
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = 100000
	}
	if o.ClientIP == nil {
		o.ClientIP = connIP
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Limiter counts failed sign-ins.
type Limiter struct {
	opts Options
	mu   sync.Mutex
	m    map[string]*entry
}

type entry struct {
	failures    int
	lastFailure time.Time
	lockedUntil time.Time
}

// New returns a limiter.
func New(o Options) *Limiter {
	o.defaults()
	return &Limiter{opts: o, m: map[string]*entry{}}
}

// maxBody bounds the login body read to find the identifier.
const maxBody = 64 << 10

// Wrap guards next (Kratos' public API, path prefix stripped or not).
func (l *Limiter) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/self-service/login") {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || len(body) > maxBody {
			http.Error(w, "sign-in request too large", http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		key := l.opts.ClientIP(r) + "\x00" + identifier(r.Header.Get("Content-Type"), body)
		if wait := l.locked(key); wait > 0 {
			refuse(w, wait)
			return
		}
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		switch outcome(rec) {
		case failed:
			l.fail(key)
		case succeeded:
			l.clear(key)
		}
	})
}

// identifier is the username or e-mail being tried, normalised; a body
// without one is keyed by the address alone.
func identifier(contentType string, body []byte) string {
	var id string
	if strings.HasPrefix(contentType, "application/json") {
		var v struct {
			Identifier string `json:"identifier"`
		}
		_ = json.Unmarshal(body, &v)
		id = v.Identifier
	} else if q, err := url.ParseQuery(string(body)); err == nil {
		id = q.Get("identifier")
	}
	return strings.ToLower(strings.TrimSpace(id))
}

func (l *Limiter) locked(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.m[key]
	if !ok {
		return 0
	}
	return e.lockedUntil.Sub(l.opts.Now())
}

// fail counts a failure and locks the key once there are enough: for
// BaseLockout, doubled for each failure past MaxFailures.
func (l *Limiter) fail(key string) {
	now := l.opts.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.m[key]
	if !ok {
		if len(l.m) >= l.opts.MaxEntries {
			l.evict(now)
		}
		e = &entry{}
		l.m[key] = e
	}
	if now.Sub(e.lastFailure) > l.opts.Window && now.After(e.lockedUntil) {
		e.failures = 0
	}
	e.failures++
	e.lastFailure = now
	if over := e.failures - l.opts.MaxFailures; over >= 0 {
		e.lockedUntil = now.Add(l.lockout(over))
	}
}

func (l *Limiter) lockout(over int) time.Duration {
	d := float64(l.opts.BaseLockout) * math.Pow(2, float64(min(over, 30)))
	if d > float64(l.opts.MaxLockout) {
		return l.opts.MaxLockout
	}
	return time.Duration(d)
}

func (l *Limiter) clear(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, key)
}

// evict drops entries that no longer matter, then arbitrary ones.
func (l *Limiter) evict(now time.Time) {
	for k, e := range l.m {
		if now.Sub(e.lastFailure) > l.opts.Window && now.After(e.lockedUntil) {
			delete(l.m, k)
		}
	}
	for k := range l.m {
		if len(l.m) < l.opts.MaxEntries {
			return
		}
		delete(l.m, k)
	}
}

func refuse(w http.ResponseWriter, wait time.Duration) {
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusTooManyRequests)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{
		"code":    "too_many_attempts",
		"message": fmt.Sprintf("too many failed sign-ins for this account from your address; try again in %d seconds", secs),
	}})
}

func connIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
