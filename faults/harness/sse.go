package harness

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// ContainerEvent is the part of a container event (SSE "container") the
// tests look at, with the moment it arrived.
type ContainerEvent struct {
	Action string `json:"action"`
	Name   string `json:"name"`
	State  string `json:"state"`
	At     time.Time
}

// EventStream is a user's GET /api/v1/events, read as a browser would.
type EventStream struct {
	cancel context.CancelFunc
	mu     sync.Mutex
	events []ContainerEvent
}

// Events opens token's event stream; Close ends it.
func (p *Platform) Events(token string) (*EventStream, error) {
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.GatewayURL+"/api/v1/events", nil)
	if err != nil {
		cancel()
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := p.http.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		cancel()
		return nil, fmt.Errorf("GET /api/v1/events: %d", res.StatusCode)
	}
	es := &EventStream{cancel: cancel}
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		var name, data string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if name == "container" {
					var ev ContainerEvent
					if json.Unmarshal([]byte(data), &ev) == nil {
						ev.At = time.Now()
						es.mu.Lock()
						es.events = append(es.events, ev)
						es.mu.Unlock()
					}
				}
				name, data = "", ""
			case strings.HasPrefix(line, "event:"):
				name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:"):
				data += strings.TrimSpace(strings.TrimPrefix(line, "data:"))
			}
		}
	}()
	return es, nil
}

// FirstRunning is when the first event saying name runs arrived.
func (es *EventStream) FirstRunning(name string) (time.Time, bool) {
	es.mu.Lock()
	defer es.mu.Unlock()
	for _, ev := range es.events {
		if ev.Name == name && ev.State == "running" {
			return ev.At, true
		}
	}
	return time.Time{}, false
}

// Close ends the stream.
func (es *EventStream) Close() { es.cancel() }
