// Package events serves GET /api/v1/events: server-sent events of what
// changes in the caller's sandbox (containers, volumes, images, their Linux
// account), so pages update live without polling. Events come from the
// EVENTS stream's subjects on the bus; each is shown only to its owner and
// to admins. A slow browser is never buffered without bound: when its queue
// is full, events are dropped and a "resync" event tells it to reload.
package events

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/gateway/httpx"
)

// Queue bounds the events held for one slow browser.
const Queue = 256

// Heartbeat keeps proxies from closing an idle stream.
const Heartbeat = 15 * time.Second

// kinds are the event families a browser may receive, by subject prefix.
var kinds = []struct{ prefix, name string }{
	{"evt.container.", "container"},
	{"evt.volume.", "volume"},
	{"evt.image.", "image"},
	{"evt.provision.", "provision"},
}

// ownerOf reads the owner of an event payload: "owner" for Docker objects,
// "user_id" for account events.
type ownerOf struct {
	Owner  string `json:"owner"`
	UserID string `json:"user_id"`
}

// Handler streams events to the authenticated caller.
func Handler(nc *nats.Conn, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := identity.From(r.Context())
		if !ok {
			httpx.WriteError(w, apierr.New(apierr.CodeUnauthenticated, "sign in first"))
			return
		}
		fl, ok := w.(http.Flusher)
		if !ok {
			httpx.WriteError(w, apierr.New(apierr.CodeInternal, "streaming unsupported"))
			return
		}
		ch := make(chan *nats.Msg, Queue)
		var dropped atomic.Bool
		sub, err := nc.Subscribe(subjects.EventsAll, func(m *nats.Msg) {
			select {
			case ch <- m:
			default:
				dropped.Store(true)
			}
		})
		if err != nil {
			httpx.WriteError(w, apierr.New(apierr.CodeUnavailable, "event bus unavailable"))
			return
		}
		defer func() { _ = sub.Unsubscribe() }()

		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "retry: 3000\n: connected\n\n")
		fl.Flush()

		tick := time.NewTicker(Heartbeat)
		defer tick.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
				if dropped.Swap(false) {
					fmt.Fprint(w, "event: resync\ndata: {}\n\n")
				}
				fmt.Fprint(w, ": keep-alive\n\n")
				fl.Flush()
			case m := <-ch:
				name, visible := classify(m, c)
				if !visible {
					continue
				}
				fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, oneLine(m.Data))
				if len(ch) == 0 {
					fl.Flush()
				}
			}
		}
	}
}

// classify names an event and says whether caller c may see it.
func classify(m *nats.Msg, c identity.Caller) (string, bool) {
	for _, k := range kinds {
		if !strings.HasPrefix(m.Subject, k.prefix) {
			continue
		}
		var o ownerOf
		if json.Unmarshal(m.Data, &o) != nil {
			return "", false
		}
		owner := o.Owner
		if owner == "" {
			owner = o.UserID
		}
		return k.name, owner != "" && (owner == c.UserID || c.IsAdmin())
	}
	return "", false
}

// oneLine keeps an SSE data field on one line; JSON has no raw newlines
// except between tokens, where they can go.
func oneLine(b []byte) string {
	return strings.NewReplacer("\r", "", "\n", "").Replace(string(b))
}
