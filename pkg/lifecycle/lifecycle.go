// Package lifecycle runs a service as a group of actors (an HTTP server, NATS
// subscriptions, a Docker event follower, …). When any actor returns — or
// SIGINT/SIGTERM arrives — every actor is interrupted, and Run returns once
// all are done, so a service always shuts down in one orderly path.
package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/oklog/run"
)

// ShutdownTimeout bounds how long draining may take.
const ShutdownTimeout = 15 * time.Second

// Group is a run group of actors.
type Group struct{ g run.Group }

// Add adds an actor: execute runs until done; interrupt makes it return.
func (g *Group) Add(execute func() error, interrupt func(error)) { g.g.Add(execute, interrupt) }

// Run runs every actor and returns the first one's error (nil for a signal).
func (g *Group) Run() error {
	err := g.g.Run()
	var sig run.SignalError
	if errors.As(err, &sig) {
		return nil
	}
	return err
}

// AddSignals stops the group on SIGINT or SIGTERM.
func (g *Group) AddSignals(ctx context.Context) {
	g.g.Add(run.SignalHandler(ctx, os.Interrupt, syscall.SIGTERM))
}

// AddContext runs fn with a context that is cancelled on interrupt; fn should
// return when its context is done.
func (g *Group) AddContext(parent context.Context, fn func(ctx context.Context) error) {
	ctx, cancel := context.WithCancel(parent)
	g.g.Add(func() error {
		err := fn(ctx)
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	}, func(error) { cancel() })
}

// AddTask runs fn once in the background (a start-up job such as creating
// a stream once NATS answers) without ending the group when it finishes; an
// error from fn, other than cancellation, stops the service.
func (g *Group) AddTask(parent context.Context, fn func(ctx context.Context) error) {
	g.AddContext(parent, func(ctx context.Context) error {
		if err := fn(ctx); err != nil {
			return err
		}
		<-ctx.Done()
		return nil
	})
}

// AddHTTP serves h on ln until interrupted, then shuts down gracefully.
func (g *Group) AddHTTP(srv *http.Server, ln net.Listener) {
	g.g.Add(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http %s: %w", ln.Addr(), err)
		}
		return nil
	}, func(error) {
		ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
}

// AddNATS keeps the group alive while nc is usable and drains it on
// interrupt: in-flight messages are handled and replies flushed before the
// connection closes. A connection closed for good stops the service.
func (g *Group) AddNATS(nc *nats.Conn) {
	closed := make(chan struct{})
	nc.SetClosedHandler(func(*nats.Conn) { close(closed) })
	g.g.Add(func() error {
		<-closed
		return nil
	}, func(error) {
		if err := nc.Drain(); err != nil {
			nc.Close()
		}
	})
}
