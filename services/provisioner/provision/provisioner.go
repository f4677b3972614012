package provision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/services/provisioner/store"
)

// Options tune the provisioner.
type Options struct {
	// Enabled: when false, events are acknowledged and recorded in state
	// "disabled", and nothing is done on the host.
	Enabled bool
	// Workers is how many events are handled at once.
	Workers int
	// MaxDeliver bounds the attempts at one event before it is parked.
	MaxDeliver int
	// Retry spaces redeliveries and host probes.
	Retry Backoff
	// SweepEvery is how often accounts no event drives any more are looked
	// for; StaleAfter is how long a pending account may sit untouched.
	SweepEvery time.Duration
	StaleAfter time.Duration
}

// Validate checks the options.
func (o Options) Validate() error {
	switch {
	case o.Workers < 1:
		return fmt.Errorf("workers %d must be at least 1", o.Workers)
	case o.MaxDeliver < 1:
		return fmt.Errorf("max deliveries %d must be at least 1", o.MaxDeliver)
	case o.Retry.Min <= 0 || o.Retry.Max < o.Retry.Min:
		return fmt.Errorf("retry backoff %v..%v must be positive and increasing", o.Retry.Min, o.Retry.Max)
	case o.SweepEvery <= 0 || o.StaleAfter <= 0:
		return errors.New("sweep interval and stale limit must be positive")
	}
	return nil
}

// Deps are the provisioner's collaborators.
type Deps struct {
	Store    *store.Store
	Accounts Accounts
	// Probe checks the host can be reached (sshclient.Client.Probe).
	Probe func(context.Context) error
	JS    jetstream.JetStream
	Log   *slog.Logger
}

// Provisioner ties the parts together: the event consumer, the sweeper,
// the command service, and the gate they share.
type Provisioner struct {
	core *core
	gate *Gate
	opts Options

	// life bounds work that outlives a request: an admin's retry that goes
	// on in the background.
	life       context.Context
	stopLife   context.CancelFunc
	background sync.WaitGroup
}

// New assembles a provisioner.
func New(d Deps, o Options) (*Provisioner, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	life, stop := context.WithCancel(context.Background())
	return &Provisioner{
		core:     &core{store: d.Store, accounts: d.Accounts, js: d.JS, enabled: o.Enabled, log: d.Log},
		gate:     NewGate(d.Probe, o.Retry, d.Log),
		opts:     o,
		life:     life,
		stopLife: stop,
	}, nil
}

// Run consumes user events with c (and, when enabled, sweeps) until ctx
// ends, then waits for work in progress, background retries included.
func (p *Provisioner) Run(ctx context.Context, c *Consumer) error {
	defer p.background.Wait()
	defer p.stopLife()
	var wg sync.WaitGroup
	if p.opts.Enabled {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.sweep(ctx)
		}()
	}
	err := c.Run(ctx)
	wg.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// Consumer makes sure the EVENTS stream and the durable consumer exist (so
// start order does not matter) and returns the consumer.
func (p *Provisioner) Consumer(ctx context.Context) (*Consumer, error) {
	stream, err := bus.EnsureEventsStream(ctx, p.core.js)
	if err != nil {
		return nil, err
	}
	cfg := ConsumerConfig(p.opts.MaxDeliver, p.opts.Workers)
	cons, err := stream.CreateOrUpdateConsumer(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("consumer %s: %w", ConsumerName, err)
	}
	return &Consumer{core: p.core, cons: cons, gate: p.gate, retry: p.opts.Retry,
		maxDeliver: p.opts.MaxDeliver, workers: p.opts.Workers, ackWait: cfg.AckWait}, nil
}

// HostReady reports whether the host is reachable as far as the workers
// know: the gate is open (readiness; it does not dial).
func (p *Provisioner) HostReady(context.Context) error {
	if err := p.gate.Err(); err != nil {
		return fmt.Errorf("host unreachable: %w", err)
	}
	return nil
}
