package stack

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Event is one server-sent event.
type Event struct {
	Name string
	Data string
}

// EventStream reads a server-sent event stream as a browser would.
type EventStream struct {
	events chan Event
	cancel context.CancelFunc
}

// SSE opens path (e.g. /api/v1/events) as token and reads it until the
// test ends.
func (s *Stack) SSE(t testing.TB, token, path string) *EventStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.GatewayURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("open %s: %v", path, err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		t.Fatalf("open %s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	es := &EventStream{events: make(chan Event, 1024), cancel: cancel}
	go func() {
		defer res.Body.Close()
		defer close(es.events)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		var ev Event
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Name != "" || ev.Data != "" {
					es.events <- ev
				}
				ev = Event{}
			case strings.HasPrefix(line, "event:"):
				ev.Name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:"):
				if ev.Data != "" {
					ev.Data += "\n"
				}
				ev.Data += strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " ")
			}
		}
	}()
	t.Cleanup(cancel)
	return es
}

// Next waits up to d for an event matching match; ok is false on timeout
// or when the stream ends.
func (es *EventStream) Next(d time.Duration, match func(Event) bool) (Event, bool) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev, open := <-es.events:
			if !open {
				return Event{}, false
			}
			if match == nil || match(ev) {
				return ev, true
			}
		case <-timer.C:
			return Event{}, false
		}
	}
}

// Drain returns the events received so far without waiting.
func (es *EventStream) Drain() []Event {
	var out []Event
	for {
		select {
		case ev, open := <-es.events:
			if !open {
				return out
			}
			out = append(out, ev)
		default:
			return out
		}
	}
}
