package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/dockeronline/platform/e2e/stack"
)

// termMsg is a control message of the terminal websocket.
type termMsg struct {
	Type    string `json:"type"`
	Session string `json:"session"`
	Offset  int64  `json:"offset"`
	From    int64  `json:"from"`
	To      int64  `json:"to"`
	Code    int    `json:"code"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// wsTerm is a terminal websocket client, as a program (not a browser)
// would use it: output bytes are collected as they come, control messages
// are kept in order.
type wsTerm struct {
	t    testing.TB
	c    *websocket.Conn
	mu   sync.Mutex
	out  []byte
	off  int64 // the number of the next output byte, as the server counts
	ctl  []termMsg
	done chan struct{}
	err  error
}

// terminalURL is the websocket URL of name's terminal with query q.
func terminalURL(s *stack.Stack, name string, q url.Values) string {
	u := strings.Replace(s.GatewayURL, "http://", "ws://", 1) + "/api/v1/containers/" + name + "/terminal"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// dialTerm opens the websocket; on refusal it returns the HTTP status.
func dialTerm(t testing.TB, s *stack.Stack, token, name string, q url.Values, h http.Header) (*wsTerm, int, error) {
	t.Helper()
	if h == nil {
		h = http.Header{}
	}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, res, err := websocket.Dial(ctx, terminalURL(s, name, q), &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		return nil, status, err
	}
	c.SetReadLimit(1 << 20)
	w := &wsTerm{t: t, c: c, done: make(chan struct{})}
	go w.read()
	t.Cleanup(func() { _ = c.CloseNow() })
	return w, res.StatusCode, nil
}

func mustDialTerm(t testing.TB, s *stack.Stack, token, name string, q url.Values) *wsTerm {
	t.Helper()
	w, status, err := dialTerm(t, s, token, name, q, nil)
	if err != nil {
		t.Fatalf("open terminal on %s: %d %v", name, status, err)
	}
	return w
}

func (w *wsTerm) read() {
	defer close(w.done)
	for {
		typ, p, err := w.c.Read(context.Background())
		if err != nil {
			w.mu.Lock()
			w.err = err
			w.mu.Unlock()
			return
		}
		w.mu.Lock()
		if typ == websocket.MessageBinary {
			w.out = append(w.out, p...)
			w.off += int64(len(p))
		} else {
			var m termMsg
			if err := json.Unmarshal(p, &m); err != nil {
				w.t.Errorf("bad control message %q: %v", p, err)
			}
			switch m.Type {
			case "hello", "replayed":
				w.off = m.Offset
			case "skipped":
				w.off = m.To
			}
			w.ctl = append(w.ctl, m)
		}
		w.mu.Unlock()
	}
}

// offset is how many output bytes the client has, as the server counts.
func (w *wsTerm) offset() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.off
}

func (w *wsTerm) screen() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.out)
}

// waitFor polls until the output holds want and returns the output.
func (w *wsTerm) waitFor(want string) string {
	w.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := w.screen()
		if strings.Contains(s, want) {
			return s
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("terminal never showed %q; output %q", want, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// control waits for the first control message of type typ.
func (w *wsTerm) control(typ string) termMsg {
	w.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		w.mu.Lock()
		for _, m := range w.ctl {
			if m.Type == typ {
				w.mu.Unlock()
				return m
			}
		}
		w.mu.Unlock()
		if time.Now().After(deadline) {
			w.t.Fatalf("no %q message; got %+v", typ, w.ctl)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (w *wsTerm) send(p string) {
	w.t.Helper()
	if err := w.c.Write(context.Background(), websocket.MessageBinary, []byte(p)); err != nil {
		w.t.Fatalf("send %q: %v", p, err)
	}
}

func (w *wsTerm) sendControl(v any) {
	w.t.Helper()
	b, _ := json.Marshal(v)
	if err := w.c.Write(context.Background(), websocket.MessageText, b); err != nil {
		w.t.Fatalf("send control: %v", err)
	}
}

func runBox(t testing.TB, s *stack.Stack, token, name string) {
	t.Helper()
	r := s.Call(t, token, http.MethodPost, "/api/v1/containers", map[string]any{
		"name": name, "image": s.Image, "cmd": []string{"sleep", "3600"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("create %s: %d %s", name, r.Status, r.Body)
	}
}

// TestTerminalWebsocket drives the terminal as a real websocket client:
// a command, a resize, binary bytes both ways, a dropped connection and a
// reattach that shows the earlier output exactly once, and refusals.
func TestTerminalWebsocket(t *testing.T) {
	s := stack.StartAccounts(t)
	a := s.Register(t, stack.UniqueName("alice"))
	b := s.Register(t, stack.UniqueName("bob"))
	admin := s.RegisterAdmin(t)
	runBox(t, s, a.Token, "box")

	w := mustDialTerm(t, s, a.Token, "box", url.Values{"rows": {"24"}, "cols": {"80"}})
	hello := w.control("hello")
	if len(hello.Session) < 16 {
		t.Fatalf("hello %+v", hello)
	}

	// A command whose output differs from its echoed input.
	w.send("printf 'A%sZ\\n' first-output\n")
	w.waitFor("Afirst-outputZ")

	// Resize, then the TTY reports the new size.
	w.sendControl(map[string]any{"type": "resize", "rows": 33, "cols": 111})
	w.send("stty size\n")
	w.waitFor("33 111")

	// Binary-safe: raw bytes out (\001 \377 ESC), UTF-8 in, Ctrl-C in.
	w.send("printf 'B\\001\\377\\033[0mE\\n'\n")
	w.waitFor("B\x01\xff\x1b[0mE")
	w.send("echo caf\xc3\xa9-$((3*3))\n")
	w.waitFor("café-9")
	w.send("sleep 4321\n")
	time.Sleep(300 * time.Millisecond) // let sleep start; Ctrl-C before it would be harmless too
	w.send("\x03")
	w.send("echo interrupted-$((5+5))\n")
	w.waitFor("interrupted-10")

	// Drop the connection without a goodbye, then reattach: the earlier
	// output is shown once (snapshot), never again from the live stream.
	_ = w.c.CloseNow()
	<-w.done
	r := mustDialTerm(t, s, a.Token, "box", url.Values{"session": {hello.Session}})
	if h := r.control("hello"); h.Session != hello.Session || h.Offset != 0 {
		t.Fatalf("reattach hello %+v", h)
	}
	r.send("echo after-$((2+3))\n")
	screen := r.waitFor("after-5")
	if n := strings.Count(screen, "Afirst-outputZ"); n != 1 {
		t.Fatalf("previous output shown %d times after reattach: %q", n, screen)
	}
	if n := strings.Count(screen, "\nafter-5"); n != 1 {
		t.Fatalf("new output shown %d times: %q", n, screen)
	}

	// A second viewer that already shows everything (offset) gets only
	// what is new, and both viewers see it.
	have := r.offset()
	v2 := mustDialTerm(t, s, a.Token, "box", url.Values{"session": {hello.Session}, "offset": {strconv.FormatInt(have, 10)}})
	if h := v2.control("hello"); h.Offset != have {
		t.Fatalf("offset reattach hello %+v, want offset %d", h, have)
	}
	v2.send("echo both-$((4*4))\n")
	r.waitFor("both-16")
	if got := v2.waitFor("both-16"); strings.Contains(got, "after-5") {
		t.Fatalf("viewer with offset %d got old output: %q", have, got)
	}

	// Bob: 404 on alice's container and on her session, as for a missing one.
	for _, q := range []url.Values{nil, {"session": {hello.Session}}} {
		if _, status, err := dialTerm(t, s, b.Token, "box", q, nil); status != http.StatusNotFound {
			t.Errorf("bob opens alice's terminal (%v): %d %v, want 404", q, status, err)
		}
	}
	if _, status, _ := dialTerm(t, s, b.Token, "nope", nil, nil); status != http.StatusNotFound {
		t.Errorf("missing container: %d, want 404", status)
	}
	// An admin may open it by naming the owner.
	ad := mustDialTerm(t, s, admin.Token, "box", url.Values{"owner": {a.UserID}})
	ad.send("echo admin-$((6*7))\n")
	ad.waitFor("admin-42")
	// No session: 401. Another site's page: 403, even with a valid session.
	if _, status, _ := dialTerm(t, s, "", "box", nil, nil); status != http.StatusUnauthorized {
		t.Errorf("no session: %d, want 401", status)
	}
	if _, status, _ := dialTerm(t, s, a.Token, "box", nil, http.Header{"Origin": {"http://evil.example"}}); status != http.StatusForbidden {
		t.Errorf("foreign origin: %d, want 403", status)
	}
	if _, status, err := dialTerm(t, s, a.Token, "box", nil, http.Header{"Origin": {s.GatewayURL}}); err != nil {
		t.Errorf("same origin refused: %d %v", status, err)
	}

	// Ending the session tells every viewer and closes their sockets.
	r.sendControl(map[string]any{"type": "close"})
	if x := v2.control("exit"); x.Reason != "closed by a viewer" {
		t.Fatalf("exit %+v", x)
	}
	select {
	case <-v2.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the websocket stayed open after the session ended")
	}
	var ce websocket.CloseError
	if !errors.As(v2.err, &ce) || ce.Code != websocket.StatusNormalClosure {
		t.Fatalf("close = %v", v2.err)
	}
	if _, status, _ := dialTerm(t, s, a.Token, "box", url.Values{"session": {hello.Session}}, nil); status != http.StatusNotFound {
		t.Fatalf("reattach to an ended session: %d, want 404", status)
	}
}
