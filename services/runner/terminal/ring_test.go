package terminal

import (
	"bytes"
	"strings"
	"testing"
)

func TestRingKeepsTheLastBytesWithTheirOffsets(t *testing.T) {
	tests := []struct {
		name      string
		size      int
		writes    []string
		wantStart int64
		want      string
	}{
		{"empty", 8, nil, 0, ""},
		{"fits", 8, []string{"abc", "de"}, 0, "abcde"},
		{"exactly full", 8, []string{"abcdefgh"}, 0, "abcdefgh"},
		{"wraps, no newline near", 8, []string{"abcdef", "ghij"}, 2, "cdefghij"},
		{"one write larger than the ring", 4, []string{"ab", "cdefghij"}, 6, "ghij"},
		{"after a large write, small ones", 4, []string{"abcdefg", "hi"}, 5, "fghi"},
		{"starts after the first newline once wrapped", 8, []string{"xx\nline1\nline2\n"}, 9, "line2\n"},
		{"never trims when nothing was lost", 16, []string{"a\nb\n"}, 0, "a\nb\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRing(tt.size)
			total := 0
			for _, w := range tt.writes {
				r.write([]byte(w))
				total += len(w)
			}
			if r.end != int64(total) {
				t.Fatalf("end = %d, want %d", r.end, total)
			}
			start, got := r.snapshot()
			if start != tt.wantStart || string(got) != tt.want {
				t.Fatalf("snapshot = %d %q, want %d %q", start, got, tt.wantStart, tt.want)
			}
		})
	}
}

// TestRingMatchesTheStreamTail writes many odd-sized pieces and checks the
// snapshot is always exactly the stream's tail at the claimed offset.
func TestRingMatchesTheStreamTail(t *testing.T) {
	r := newRing(37)
	var all bytes.Buffer
	for i := range 500 {
		p := []byte(strings.Repeat(string(rune('a'+i%26)), i%53))
		r.write(p)
		all.Write(p)
		start, got := r.snapshot()
		if want := all.Bytes()[start:]; !bytes.Equal(got, want) || len(got) > 37 {
			t.Fatalf("after %d writes: snapshot at %d = %q, stream has %q", i+1, start, got, want)
		}
	}
}
