package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Terminal is a terminal websocket client, as a program would use it
// (the protocol of services/runner/terminal/README.md): output bytes are
// collected as they come, control messages kept in order.
type Terminal struct {
	c    *websocket.Conn
	mu   sync.Mutex
	out  []byte
	ctl  []TermControl
	done chan struct{}
}

// TermControl is a control message of the terminal websocket.
type TermControl struct {
	Type    string `json:"type"`
	Session string `json:"session"`
	Offset  int64  `json:"offset"`
	Message string `json:"message"`
}

// OpenTerminal opens name's terminal as token; q may hold session (to
// reattach), rows, cols. The caller closes it.
func (p *Platform) OpenTerminal(token, name string, q url.Values) (*Terminal, error) {
	u := strings.Replace(p.GatewayURL, "http://", "ws://", 1) + "/api/v1/containers/" + name + "/terminal"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, res, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}})
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		return nil, fmt.Errorf("open terminal on %s: %d %v", name, status, err)
	}
	c.SetReadLimit(1 << 20)
	w := &Terminal{c: c, done: make(chan struct{})}
	go w.read()
	return w, nil
}

func (w *Terminal) read() {
	defer close(w.done)
	for {
		typ, b, err := w.c.Read(context.Background())
		if err != nil {
			return
		}
		w.mu.Lock()
		if typ == websocket.MessageBinary {
			w.out = append(w.out, b...)
		} else {
			var m TermControl
			_ = json.Unmarshal(b, &m)
			w.ctl = append(w.ctl, m)
		}
		w.mu.Unlock()
	}
}

// Close drops the connection without a goodbye.
func (w *Terminal) Close() { _ = w.c.CloseNow() }

// Screen is every output byte received so far.
func (w *Terminal) Screen() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.out)
}

// Send types p.
func (w *Terminal) Send(p string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return w.c.Write(ctx, websocket.MessageBinary, []byte(p))
}

// WaitFor waits up to d for the output to hold want.
func (w *Terminal) WaitFor(want string, d time.Duration) (string, error) {
	deadline := time.Now().Add(d)
	for {
		s := w.Screen()
		if strings.Contains(s, want) {
			return s, nil
		}
		if time.Now().After(deadline) {
			return s, fmt.Errorf("terminal never showed %q in %v; output %q", want, d, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Control waits up to d for the first control message of type typ.
func (w *Terminal) Control(typ string, d time.Duration) (TermControl, error) {
	deadline := time.Now().Add(d)
	for {
		w.mu.Lock()
		for _, m := range w.ctl {
			if m.Type == typ {
				w.mu.Unlock()
				return m, nil
			}
		}
		ctl := append([]TermControl(nil), w.ctl...)
		w.mu.Unlock()
		if time.Now().After(deadline) {
			return TermControl{}, fmt.Errorf("no %q message in %v; got %+v", typ, d, ctl)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
