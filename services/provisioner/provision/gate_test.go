package provision

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

func TestBackoffDoublesUpToMax(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	tests := []struct {
		n    int
		want time.Duration // before jitter, which takes off at most a fifth
	}{
		{1, 100 * time.Millisecond}, {2, 200 * time.Millisecond}, {3, 400 * time.Millisecond},
		{4, 800 * time.Millisecond}, {5, time.Second}, {50, time.Second},
	}
	for _, tt := range tests {
		for range 20 {
			if d := b.Delay(tt.n); d > tt.want || d < tt.want*4/5 {
				t.Fatalf("Delay(%d) = %v, want within [%v, %v]", tt.n, d, tt.want*4/5, tt.want)
			}
		}
	}
}

// The gate closes when tripped, keeps probing with backoff while the host
// is down, and opens at the first successful probe.
func TestGateHoldsWorkUntilTheHostAnswers(t *testing.T) {
	var up atomic.Bool
	var probes atomic.Int64
	down := errors.New("connection refused")
	g := NewGate(func(context.Context) error {
		probes.Add(1)
		if up.Load() {
			return nil
		}
		return down
	}, Backoff{Min: time.Millisecond, Max: 10 * time.Millisecond}, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	if err := g.Wait(ctx); err != nil || g.Err() != nil {
		t.Fatalf("a new gate is not open: %v, %v", err, g.Err())
	}
	g.Trip(ctx, down)
	g.Trip(ctx, down) // a second worker finding the host down changes nothing
	short, cancelShort := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancelShort()
	if err := g.Wait(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait on a tripped gate = %v, want the context's deadline", err)
	}
	if !errors.Is(g.Err(), down) {
		t.Fatalf("Err() = %v, want %v", g.Err(), down)
	}
	for probes.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	up.Store(true)
	open, cancelOpen := context.WithTimeout(ctx, 30*time.Second)
	defer cancelOpen()
	if err := g.Wait(open); err != nil {
		t.Fatalf("the gate did not open once the host answered: %v", err)
	}
	if g.Err() != nil {
		t.Fatalf("Err() = %v after opening", g.Err())
	}
}

// A prober whose service stops gives up; the gate stays closed.
func TestGateProbingStopsWithTheService(t *testing.T) {
	var probes atomic.Int64
	g := NewGate(func(context.Context) error { probes.Add(1); return errors.New("down") },
		Backoff{Min: time.Millisecond, Max: time.Millisecond}, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	g.Trip(ctx, errors.New("down"))
	for probes.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	for {
		g.mu.Lock()
		probing := g.probing
		g.mu.Unlock()
		if !probing {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if g.Err() == nil {
		t.Fatal("the gate opened without a successful probe")
	}
}
