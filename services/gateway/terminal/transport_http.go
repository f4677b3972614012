package terminal

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/coder/websocket"
	"github.com/go-chi/chi/v5"
	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/gateway/httpx"
)

// Routes mounts the terminal websocket on r, which is behind authentication.
func Routes(r chi.Router, nc *nats.Conn, cfg Config, log *slog.Logger) {
	h := &handler{svc: New(nc), nc: nc, cfg: cfg, log: log}
	r.Get("/containers/{name}/terminal", h.serveWS)
}

type handler struct {
	svc Service
	nc  *nats.Conn
	cfg Config
	log *slog.Logger
}

// serveWS: GET /api/v1/containers/{name}/terminal?session=&offset=&cmd=&rows=&cols=&owner=
//
// Without session it starts a new one (cmd, repeated, is the command; the
// default is a shell); with session it reattaches, and offset (the number
// of output bytes the client already shows) keeps it from seeing any twice.
// Every refusal (origin, not found, not running, bad input) is an HTTP
// error before the upgrade, so a client sees the platform's error body.
func (h *handler) serveWS(w http.ResponseWriter, r *http.Request) {
	if !originAllowed(r, h.cfg.AllowedOrigins) {
		httpx.WriteError(w, apierr.New(apierr.CodeForbidden, "a terminal may not be opened from origin %q", r.Header.Get("Origin")))
		return
	}
	q := r.URL.Query()
	name := chi.URLParam(r, "name")
	rows, err := uint16Query(q.Get("rows"), "rows")
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	cols, err := uint16Query(q.Get("cols"), "cols")
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	have := int64(-1)
	if v := q.Get("offset"); v != "" {
		if have, err = strconv.ParseInt(v, 10, 64); err != nil || have < 0 {
			httpx.WriteError(w, apierr.Invalid("offset=%q must be a number of bytes", v))
			return
		}
	}
	session, attach := q.Get("session"), q.Has("session")
	if attach && !msg.ValidSessionID(session) {
		httpx.WriteError(w, apierr.Invalid("session must be 16 to 64 letters and digits"))
		return
	}
	if !attach {
		session = randomID(16)
	}
	viewer := randomID(8)

	b, err := subscribe(h.nc, h.log, session, viewer)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	var snap msg.TerminalSession
	if attach {
		snap, err = h.svc.Attach(r.Context(), session, viewer, name)
	} else {
		snap, err = h.svc.Open(r.Context(), msg.TerminalOpen{
			Name: name, Owner: q.Get("owner"), Session: session, Viewer: viewer,
			Cmd: q["cmd"], Rows: rows, Cols: cols,
		})
	}
	if err != nil {
		b.stop()
		httpx.WriteError(w, err)
		return
	}
	if attach && (rows != 0 || cols != 0) {
		_ = b.frame(r.Context(), msg.TermIn{Kind: msg.TermResize, Rows: rows, Cols: cols})
	}
	// The origin was checked above, against the same rules plus the allow-list.
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		b.stop()
		_ = b.frame(r.Context(), msg.TermIn{Kind: msg.TermDetach})
		return
	}
	defer c.CloseNow()
	h.log.InfoContext(r.Context(), "terminal attached", "container", name, "session", session, "viewer", viewer, "reattach", attach)
	b.run(r.Context(), c, snap, have)
}

func uint16Query(v, name string) (uint16, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 16)
	if err != nil {
		return 0, apierr.Invalid("%s=%q must be a number from 1 to 1000", name, v)
	}
	return uint16(n), nil
}

// randomID is n random bytes in hex: session and viewer ids, unguessable.
func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
