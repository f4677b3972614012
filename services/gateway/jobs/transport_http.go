package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-kit/kit/endpoint"
	httptransport "github.com/go-kit/kit/transport/http"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/services/gateway/httpx"
)

// PingEvery is how often an idle event stream gets a comment line, so
// proxies and browsers keep a quiet pull's connection open.
const PingEvery = 15 * time.Second

// Routes mounts the job routes on r (already behind authentication).
func Routes(r chi.Router, nc *nats.Conn, log *slog.Logger) {
	js, err := jetstream.New(nc)
	if err != nil { // only on bad options: fail each call visibly, not the gateway
		log.Error("jobs: no JetStream context", "err", err)
		r.HandleFunc("/jobs/*", func(w http.ResponseWriter, _ *http.Request) {
			httpx.WriteError(w, apierr.New(apierr.CodeUnavailable, "jobs are not available"))
		})
		return
	}
	Mount(r, Logging(log)(New(js)))
}

// Mount mounts the routes of svc on r.
func Mount(r chi.Router, svc Service) {
	e := MakeEndpoints(svc)
	r.Get("/jobs/{id}", server(e.Get, decodeID))
	r.Get("/jobs/{id}/events", Events(svc, PingEvery))
}

func server(e endpoint.Endpoint, dec httptransport.DecodeRequestFunc) http.HandlerFunc {
	return httptransport.NewServer(e, dec,
		func(_ context.Context, w http.ResponseWriter, resp any) error {
			httpx.WriteJSON(w, http.StatusOK, resp)
			return nil
		},
		httptransport.ServerErrorEncoder(func(_ context.Context, err error, w http.ResponseWriter) {
			httpx.WriteError(w, err)
		}),
	).ServeHTTP
}

func decodeID(_ context.Context, r *http.Request) (any, error) { return chi.URLParam(r, "id"), nil }

// Events serves a job's events as server-sent events: "progress" events,
// then one "done" or "error" event, after which the stream ends. Each
// event's id is its position in the job stream, and the data is the
// msg.JobEvent as JSON; a browser that reconnects sends the last id in
// Last-Event-ID and resumes after it (?after= does the same for clients
// that cannot set the header). A reader that has seen the end gets 204,
// which tells a browser's EventSource to stop reconnecting.
//
// Note for browser code: EventSource also fires "error" on a connection
// failure; the job's error event is the one that carries data.
func Events(svc Service, ping time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		after, err := resumeAfter(r)
		if err != nil {
			httpx.WriteError(w, err)
			return
		}
		ch, err := svc.Watch(r.Context(), chi.URLParam(r, "id"), after)
		if errors.Is(err, ErrSeenAll) {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if err != nil {
			httpx.WriteError(w, err)
			return
		}
		rc := http.NewResponseController(w)
		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "retry: 2000\n\n")
		_ = rc.Flush()

		t := time.NewTicker(ping)
		defer t.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-t.C:
				fmt.Fprint(w, ": ping\n\n")
			case ev, ok := <-ch:
				if !ok {
					return // the stream broke off; the browser resumes from its last id
				}
				if err := writeEvent(w, ev); err != nil {
					return
				}
				if ev.Terminal() {
					_ = rc.Flush()
					return
				}
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
	}
}

func resumeAfter(r *http.Request) (uint64, error) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("after")
	}
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, apierr.Invalid("Last-Event-ID (or after) %q must be the id of an event", v)
	}
	return n, nil
}
