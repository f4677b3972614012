package provision

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Gate holds work back while the host is unreachable. The first worker to
// find the host down trips it; from then on workers wait at the gate
// instead of each burning their messages' redeliveries against a dead
// host, while one prober tries to reach the host with exponential backoff.
// The first successful probe opens the gate and everybody catches up.
type Gate struct {
	probe   func(context.Context) error
	backoff Backoff
	log     *slog.Logger

	mu      sync.Mutex
	open    chan struct{} // closed while the gate is open
	lastErr error         // why the gate is closed
	probing bool
}

// NewGate returns an open gate.
func NewGate(probe func(context.Context) error, b Backoff, log *slog.Logger) *Gate {
	open := make(chan struct{})
	close(open)
	return &Gate{probe: probe, backoff: b, log: log, open: open}
}

// Trip closes the gate because of err and starts probing in the background
// until the host answers or ctx ends; ctx must live as long as the service
// (a worker's, not a message's).
func (g *Gate) Trip(ctx context.Context, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.lastErr = err
	select {
	case <-g.open:
		g.open = make(chan struct{})
		g.log.WarnContext(ctx, "host unreachable: holding work until it answers", "err", err)
	default:
	}
	if !g.probing {
		g.probing = true
		// Probes are not part of the trace of the message that tripped.
		go g.probeUntilOpen(context.Background(), ctx.Done())
	}
}

func (g *Gate) probeUntilOpen(ctx context.Context, stop <-chan struct{}) {
	defer func() {
		g.mu.Lock()
		g.probing = false
		g.mu.Unlock()
	}()
	for n := 1; ; n++ {
		select {
		case <-stop:
			return
		case <-time.After(g.backoff.Delay(n)):
		}
		err := g.probe(ctx)
		g.mu.Lock()
		if err == nil {
			g.lastErr = nil
			close(g.open)
			g.mu.Unlock()
			g.log.InfoContext(ctx, "host reachable again: resuming", "probes", n)
			return
		}
		g.lastErr = err
		g.mu.Unlock()
		g.log.DebugContext(ctx, "host still unreachable", "probe", n, "err", err)
	}
}

// Wait returns nil once the gate is open, or ctx's error.
func (g *Gate) Wait(ctx context.Context) error {
	g.mu.Lock()
	open := g.open
	g.mu.Unlock()
	select {
	case <-open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Err is nil while the gate is open, else why it is closed (readiness).
func (g *Gate) Err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lastErr
}
