package terminal

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/msg"
)

func TestStripQueriesKeepsEverythingButTerminalQueries(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/ # \x1b[6n", "/ # "},
		{"a\x1b[5nb\x1b[cc\x1b[>cd\x1b[0c", "abcd"},
		{"\x1b[0m\x1b[1;31mred\x1b[0m\r\n", "\x1b[0m\x1b[1;31mred\x1b[0m\r\n"},
		{"\x1b[2J\x1b[H\x01\xff", "\x1b[2J\x1b[H\x01\xff"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := string(stripQueries([]byte(tt.in))); got != tt.want {
			t.Errorf("stripQueries(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestSlowViewerSkipsInsteadOfBuffering: while a viewer reads nothing, at
// most queueFrames frames wait; the rest are dropped, and once it reads it
// gets what was kept, a "skipped" for the gap, the newer output and the
// exit — every byte either delivered once or reported skipped.
func TestSlowViewerSkipsInsteadOfBuffering(t *testing.T) {
	b := &bridge{queue: make(chan msg.TermOut, queueFrames)}
	frame := func(f msg.TermOut) *nats.Msg {
		data, _ := json.Marshal(f)
		return &nats.Msg{Data: data}
	}
	const size = 1024
	var off int64
	for i := 0; i < 3*queueFrames; i++ { // nobody reads yet
		b.onOutput(frame(msg.TermOut{Kind: msg.TermData, Offset: off, Data: bytes.Repeat([]byte{byte('a' + i%26)}, size)}))
		off += size
	}
	if n := len(b.queue); n != queueFrames {
		t.Fatalf("%d frames queued, want the bound %d", n, queueFrames)
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		b.writeOutput(r.Context(), c, 0)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.SetReadLimit(1 << 20)

	// Newer output arrives, then the end (with a full queue the exit
	// frame makes room for itself).
	last := msg.TermOut{Kind: msg.TermData, Offset: off, Data: []byte("newest")}
	off += int64(len(last.Data))
	var got []byte
	var skipped []control
	sent := false
	for {
		typ, p, err := c.Read(ctx)
		if err != nil {
			break
		}
		if typ == websocket.MessageBinary {
			got = append(got, p...)
		} else {
			var m control
			_ = json.Unmarshal(p, &m)
			if m.Type == "skipped" {
				skipped = append(skipped, m)
			}
			if m.Type == "exit" {
				break
			}
		}
		if !sent && len(got) >= queueFrames*size {
			b.onOutput(frame(last))
			b.onOutput(frame(msg.TermOut{Kind: msg.TermExit, Offset: off, Reason: "exited"}))
			sent = true
		}
	}
	if len(got) != queueFrames*size+len("newest") || !bytes.HasSuffix(got, []byte("newest")) {
		t.Fatalf("received %d bytes ending %q", len(got), got[max(0, len(got)-8):])
	}
	if len(skipped) != 1 || skipped[0].From != queueFrames*size || skipped[0].To != 3*queueFrames*size {
		t.Fatalf("skipped %+v", skipped)
	}
}
