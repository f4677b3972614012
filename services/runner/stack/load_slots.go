package stack

import (
	"context"
	"sync"

	"github.com/dockeronline/platform/pkg/apierr"
)

// loadSlots bounds the compose loads (and upload unpacks) running at once:
// each holds a document's worth of compose-go's memory, and one abandoned
// at its deadline keeps its slot until compose-go returns.
type loadSlots struct{ ch chan struct{} }

func newLoadSlots(n int) *loadSlots { return &loadSlots{ch: make(chan struct{}, max(n, 1))} }

// acquire waits for a slot until ctx ends; release frees it (once).
func (s *loadSlots) acquire(ctx context.Context) (release func(), err error) {
	select {
	case s.ch <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-s.ch }) }, nil
	case <-ctx.Done():
		return nil, apierr.New(apierr.CodeUnavailable, "the runner is busy reading other compose files; deploy again in a moment")
	}
}

// loadTimeout refuses a load that outlived its deadline.
func loadTimeout(lim InputLimits) error {
	return apierr.Policy(RuleComposeTimeout, "reading the compose file took longer than %s: simplify it (fewer anchors, extends: and services)", lim.LoadTimeout)
}
