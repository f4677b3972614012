package routes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/subjects"
)

// RoutesBucketConfig is the KV bucket holding the routes: one value per
// label, no history (the feeder keeps ordering state elsewhere).
var RoutesBucketConfig = jetstream.KeyValueConfig{
	Bucket:      subjects.RoutesBucket,
	Description: "web links: host label -> app address (written by the proxy's feeder)",
	History:     1,
	Storage:     jetstream.FileStorage,
}

// EnsureRoutesBucket creates or updates the routes bucket.
func EnsureRoutesBucket(ctx context.Context, js jetstream.JetStream) (jetstream.KeyValue, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, RoutesBucketConfig)
	if err != nil {
		return nil, fmt.Errorf("ensure kv %s: %w", subjects.RoutesBucket, err)
	}
	return kv, nil
}

// Watcher follows the routes bucket and keeps Routes current: every batch of
// changes builds a new table, validates it and swaps it in atomically; a
// change that does not validate is logged and the key keeps its last good
// route, and a table that does not validate is never swapped in.
type Watcher struct {
	js     jetstream.JetStream
	routes *Routes
	log    *slog.Logger
	setup  *sync.Mutex // serialises JetStream set-up with the feeder's
}

// NewWatcher returns a watcher feeding routes.
func NewWatcher(js jetstream.JetStream, routes *Routes, log *slog.Logger) *Watcher {
	return &Watcher{js: js, routes: routes, log: log.With("component", "watcher"), setup: &sync.Mutex{}}
}

// Run watches until ctx is done, re-subscribing after failures (the current
// table keeps serving meanwhile).
func (w *Watcher) Run(ctx context.Context) error {
	backoff := 250 * time.Millisecond
	for {
		err := w.watch(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		w.log.Warn("route watch stopped; retrying", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

// start makes sure the bucket exists and starts watching it.
func (w *Watcher) start(ctx context.Context) (jetstream.KeyWatcher, error) {
	w.setup.Lock()
	defer w.setup.Unlock()
	kv, err := EnsureRoutesBucket(ctx, w.js)
	if err != nil {
		return nil, err
	}
	kw, err := kv.WatchAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", subjects.RoutesBucket, err)
	}
	return kw, nil
}

func (w *Watcher) watch(ctx context.Context) error {
	kw, err := w.start(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = kw.Stop() }()

	good := map[string]Route{} // last accepted route per key
	initial := true
	var rev uint64
	for {
		var batch []jetstream.KeyValueEntry
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok := <-kw.Updates():
			if !ok {
				return errors.New("watcher closed")
			}
			batch = append(batch, e)
		}
		// Take whatever else is already waiting, so a burst is one swap.
	drain:
		for len(batch) < 4096 {
			select {
			case e, ok := <-kw.Updates():
				if !ok {
					break drain
				}
				batch = append(batch, e)
			default:
				break drain
			}
		}
		next := maps.Clone(good)
		loadedNow := false
		for _, e := range batch {
			if e == nil { // end of the initial values
				loadedNow = initial
				initial = false
				continue
			}
			rev = max(rev, e.Revision())
			w.apply(next, e)
		}
		if initial {
			good = next
			continue // swap once the whole initial set is in
		}
		t, err := NewTable(next, rev)
		if err != nil {
			w.log.Error("route table refused; keeping the current one", "err", err)
			continue
		}
		good = next
		w.routes.Swap(t)
		if loadedNow {
			w.log.Info("route table loaded", "routes", t.Len(), "revision", rev)
		} else {
			w.log.Debug("route table swapped", "routes", t.Len(), "revision", rev, "changes", len(batch))
		}
	}
}

// apply folds one KV change into routes.
func (w *Watcher) apply(routes map[string]Route, e jetstream.KeyValueEntry) {
	switch e.Operation() {
	case jetstream.KeyValueDelete, jetstream.KeyValuePurge:
		delete(routes, e.Key())
		return
	}
	var r Route
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		w.log.Error("route value is not JSON; keeping the previous one", "key", e.Key(), "revision", e.Revision(), "err", err)
		return
	}
	if r.Label != e.Key() {
		w.log.Error("route filed under another key; keeping the previous one", "key", e.Key(), "label", r.Label)
		return
	}
	if err := r.Validate(); err != nil {
		w.log.Error("invalid route; keeping the previous one", "key", e.Key(), "err", err)
		return
	}
	routes[e.Key()] = r
}
