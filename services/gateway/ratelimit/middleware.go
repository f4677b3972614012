package ratelimit

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/services/gateway/httpx"
)

// Middleware refuses a caller's request with 429 once their bucket is
// empty. It must run after authentication: a request without a caller
// passes (authentication has already refused it, or it is not an API call).
func (l *Limiter) Middleware(next http.Handler) http.Handler {
	if !l.Enabled() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := identity.From(r.Context())
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		if allowed, wait := l.Allow(c.UserID); !allowed {
			l.refuse(w, wait)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// refuse answers 429 with Retry-After in whole seconds (at least 1: a
// client that retries at once would only be refused again).
func (l *Limiter) refuse(w http.ResponseWriter, wait time.Duration) {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	httpx.WriteError(w, apierr.RateLimited("too many API calls: each user may make %s calls a second (bursts of %d); try again in %d s",
		strconv.FormatFloat(l.opts.Rate, 'f', -1, 64), l.opts.Burst, secs))
}
