package jobs

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"strings"

	"github.com/dockeronline/platform/pkg/msg"
)

// writeEvent writes ev in the text/event-stream format: its stream
// sequence as the id, its type as the event name, itself as JSON data.
func writeEvent(w http.ResponseWriter, ev msg.JobEvent) error {
	data, err := json.Marshal(ev) // one line: JSON escapes every newline
	if err != nil {
		return err
	}
	if ev.Seq > 0 {
		fmt.Fprintf(w, "id: %d\n", ev.Seq)
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Type, data)
	return err
}

// SSEEvent is one server-sent event as a client reads it.
type SSEEvent struct {
	ID, Event, Data string
}

// ReadSSE reads server-sent events from r (a response body) until it ends:
// the client side of Events, for Go clients and tests. Comments (pings)
// and the retry field are skipped.
func ReadSSE(r io.Reader) iter.Seq2[SSEEvent, error] {
	return func(yield func(SSEEvent, error) bool) {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var ev SSEEvent
		var data []string
		for sc.Scan() {
			line := sc.Text()
			if line == "" {
				if len(data) > 0 || ev.Event != "" {
					ev.Data = strings.Join(data, "\n")
					if !yield(ev, nil) {
						return
					}
				}
				ev, data = SSEEvent{}, nil
				continue
			}
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "id":
				ev.ID = value
			case "event":
				ev.Event = value
			case "data":
				data = append(data, value)
			}
		}
		if err := sc.Err(); err != nil {
			yield(SSEEvent{}, err)
		}
	}
}
