package logs

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/gateway/httpx"
)

// Flow control and liveness of one stream.
const (
	// window is the credit granted at the start; half of it is granted
	// again each time half has been written to the client.
	window = 64
	// heartbeat paces the gateway's heartbeat to the runner and the SSE
	// keep-alive comment to the client (and any proxy between).
	heartbeat = 10 * time.Second
	// runnerSilence ends a stream the runner has not spoken on for that
	// long (it sends a heartbeat every 5s when quiet).
	runnerSilence = 30 * time.Second
)

// Routes mounts the logs route on r, which is behind authentication.
func Routes(r chi.Router, nc *nats.Conn, log *slog.Logger) {
	h := &handler{svc: New(nc), nc: nc, log: log}
	r.Get("/containers/{name}/logs", h.serve)
}

type handler struct {
	svc Service
	nc  *nats.Conn
	log *slog.Logger
}

// serve: GET /api/v1/containers/{name}/logs?tail=&follow=&since=&owner=
// Accept: text/plain gives the raw bytes; anything else server-sent events.
func (h *handler) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	follow := false
	if v := q.Get("follow"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			httpx.WriteError(w, apierr.Invalid("query parameter follow=%q must be true or false", v))
			return
		}
		follow = b
	}
	id := randomID()
	// Subscribe before asking, so no chunk can come before we listen. The
	// runner never has more than the granted credit in flight, plus its
	// heartbeats and the final message: the channel holds it all.
	chunks := make(chan *nats.Msg, window+16)
	sub, err := h.nc.ChanSubscribe(subjects.StreamOut(id), chunks)
	if err != nil {
		httpx.WriteError(w, apierr.New(apierr.CodeUnavailable, "could not subscribe to the log stream: %v", err))
		return
	}
	defer func() { _ = sub.Unsubscribe() }()
	_, err = h.svc.Start(r.Context(), msg.LogsRequest{
		Name: chi.URLParam(r, "name"), Owner: q.Get("owner"), Stream: id,
		Tail: q.Get("tail"), Since: q.Get("since"), Follow: follow, Credit: window,
	})
	if err != nil {
		httpx.WriteError(w, err)
		return
	}

	var enc encoder = newSSE(w)
	if strings.Contains(r.Header.Get("Accept"), "text/plain") {
		enc = plain{w: w}
	}
	hd := w.Header()
	hd.Set("Content-Type", enc.contentType())
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no") // nginx in front: do not buffer the stream
	hd.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()

	st := &relay{h: h, id: id, enc: enc, rc: rc}
	st.run(r, chunks)
}

// relay copies one stream to one client.
type relay struct {
	h   *handler
	id  string
	enc encoder
	rc  *http.ResponseController
}

func (s *relay) run(r *http.Request, chunks <-chan *nats.Msg) {
	t := time.NewTicker(heartbeat)
	defer t.Stop()
	var seq uint64
	written := 0
	lastHeard := time.Now()
	for {
		select {
		case <-r.Context().Done():
			s.control(msg.LogControl{Cancel: true})
			return
		case now := <-t.C:
			if now.Sub(lastHeard) > runnerSilence {
				s.stop(apierr.New(apierr.CodeUnavailable, "the runner stopped sending the logs"))
				return
			}
			s.control(msg.LogControl{}) // heartbeat
			if s.enc.heartbeat() != nil || s.rc.Flush() != nil {
				s.control(msg.LogControl{Cancel: true})
				return
			}
		case m := <-chunks:
			lastHeard = time.Now()
			var c msg.LogChunk
			if err := json.Unmarshal(m.Data, &c); err != nil {
				continue
			}
			if seq++; c.Seq != seq {
				s.stop(apierr.New(apierr.CodeUnavailable, "log chunks were lost (got %d, expected %d)", c.Seq, seq))
				return
			}
			switch c.Kind {
			case msg.LogHeartbeat:
				continue
			case msg.LogEnd:
				_ = s.enc.end()
				_ = s.rc.Flush()
				return
			case msg.LogError:
				s.stop(c.Error)
				return
			case msg.LogData:
				if err := s.enc.data(c.Stream, c.Data); err != nil {
					s.control(msg.LogControl{Cancel: true})
					return
				}
			}
			// Flush when nothing else is waiting, so bursts go out together.
			if len(chunks) == 0 && s.rc.Flush() != nil {
				s.control(msg.LogControl{Cancel: true})
				return
			}
			// Credit is given back only for what the client has taken.
			if written++; written >= window/2 {
				s.control(msg.LogControl{Credit: written})
				written = 0
			}
		}
	}
}

func (s *relay) stop(e *apierr.Error) {
	s.control(msg.LogControl{Cancel: true})
	_ = s.enc.fail(e)
	_ = s.rc.Flush()
}

func (s *relay) control(c msg.LogControl) {
	b, err := json.Marshal(c)
	if err != nil {
		return
	}
	if err := s.h.nc.Publish(subjects.StreamCtl(s.id), b); err != nil {
		s.h.log.Debug("log control not sent", "stream", s.id, "err", err)
	}
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
