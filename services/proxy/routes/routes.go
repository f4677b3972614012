// Package routes is the proxy's route table and what keeps it current: the
// Feeder turns container events into routes in a JetStream KV bucket, the
// Watcher follows that bucket into the in-memory Table the edge reads on
// every request. Every proxy replica runs both; the bucket is what they
// share.
package routes

import (
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"
)

// New returns an empty route holder with the feeder and watcher that fill
// it. They share one lock around JetStream set-up: nats-server does not
// like a stream update racing a consumer creation on it.
func New(js jetstream.JetStream, log *slog.Logger) (*Routes, *Feeder, *Watcher) {
	routes := &Routes{}
	feeder, watcher := NewFeeder(js, log), NewWatcher(js, routes, log)
	watcher.setup = feeder.setup
	return routes, feeder, watcher
}
