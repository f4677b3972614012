package provision

import (
	"math/rand/v2"
	"time"
)

// Backoff is an exponential delay: Min after the first failure, doubling
// each time, never more than Max.
type Backoff struct {
	Min, Max time.Duration
}

// Delay is the wait after the n-th consecutive failure (n from 1), with up
// to a fifth of jitter taken off so instances retrying together spread out.
func (b Backoff) Delay(n int) time.Duration {
	d := b.Min
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	if jitter := int64(d / 5); jitter > 0 {
		d -= time.Duration(rand.Int64N(jitter))
	}
	return d
}
