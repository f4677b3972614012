package logs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/dockeronline/platform/pkg/apierr"
)

// encoder writes log chunks in one of the two response formats.
type encoder interface {
	contentType() string
	data(stream string, p []byte) error
	heartbeat() error
	end() error
	fail(e *apierr.Error) error
}

// sse writes server-sent events: "stdout" and "stderr" events whose data
// is the chunk's text as a JSON string, so \r (progress bars), \n and
// control bytes survive the line-based format; then "end" or "error".
// A multi-byte character cut between two chunks is held back and sent
// whole with the next one.
type sse struct {
	w    io.Writer
	held map[string][]byte
}

func newSSE(w io.Writer) *sse { return &sse{w: w, held: map[string][]byte{}} }

func (s *sse) contentType() string { return "text/event-stream; charset=utf-8" }

func (s *sse) data(stream string, p []byte) error {
	if h := s.held[stream]; len(h) > 0 {
		p = append(h, p...)
	}
	p, s.held[stream] = splitUTF8(p)
	if len(p) == 0 {
		return nil
	}
	return s.event(stream, string(p))
}

func (s *sse) event(name string, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := fmt.Fprintf(s.w, "event: %s\ndata: %s\n", name, b.Bytes()) // Encode ended the line
	return err
}

func (s *sse) heartbeat() error {
	_, err := io.WriteString(s.w, ": keep-alive\n\n")
	return err
}

func (s *sse) end() error {
	for stream, h := range s.held {
		if len(h) > 0 {
			if err := s.event(stream, string(h)); err != nil {
				return err
			}
		}
	}
	return s.event("end", struct{}{})
}

func (s *sse) fail(e *apierr.Error) error {
	return s.event("error", map[string]*apierr.Error{"error": e})
}

// plain writes the bytes as they are, both streams interleaved as they
// came; an error after the start can only be told in the text itself.
type plain struct{ w io.Writer }

func (p plain) contentType() string           { return "text/plain; charset=utf-8" }
func (p plain) data(_ string, b []byte) error { _, err := p.w.Write(b); return err }
func (p plain) heartbeat() error              { return nil }
func (p plain) end() error                    { return nil }
func (p plain) fail(e *apierr.Error) error {
	_, err := fmt.Fprintf(p.w, "\n[logs interrupted: %s]\n", e.Message)
	return err
}

// splitUTF8 returns p without a trailing incomplete UTF-8 sequence, and
// that sequence.
func splitUTF8(p []byte) ([]byte, []byte) {
	for i := len(p) - 1; i >= 0 && i >= len(p)-utf8.UTFMax+1; i-- {
		if utf8.RuneStart(p[i]) {
			if !utf8.FullRune(p[i:]) {
				return p[:i], append([]byte(nil), p[i:]...)
			}
			break
		}
	}
	return p, nil
}
