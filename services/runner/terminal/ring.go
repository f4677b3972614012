package terminal

import "bytes"

// ring keeps the last len(buf) bytes of a session's output. Bytes are
// numbered from 0 when the session starts; end is the number of the next
// byte, so viewers can tell what they already have and what they missed.
// It is not safe for concurrent use (the session's mutex guards it).
type ring struct {
	buf []byte
	end int64
}

func newRing(size int) *ring { return &ring{buf: make([]byte, size)} }

// write appends p, forgetting the oldest bytes beyond capacity.
func (r *ring) write(p []byte) {
	size := int64(len(r.buf))
	if int64(len(p)) >= size {
		copy(r.buf, p[int64(len(p))-size:])
		r.end += int64(len(p))
		// Realign so that the byte numbered end-size sits at its slot.
		r.rotateTo(r.end)
		return
	}
	pos := r.end % size
	n := copy(r.buf[pos:], p)
	copy(r.buf, p[n:])
	r.end += int64(len(p))
}

// rotateTo rearranges a buffer whose bytes are in order from index 0 so
// that byte number k sits at index k % size (the invariant write keeps).
func (r *ring) rotateTo(end int64) {
	size := int64(len(r.buf))
	shift := int(end % size)
	if shift == 0 {
		return
	}
	tmp := make([]byte, size)
	copy(tmp[shift:], r.buf)
	copy(tmp, r.buf[size-int64(shift):])
	r.buf = tmp
}

// snapshot returns the kept bytes and the number of the first one. When
// older bytes were forgotten the snapshot starts at a line boundary (if one
// is near), so a reattaching screen does not begin inside an escape
// sequence or a half-drawn line.
func (r *ring) snapshot() (int64, []byte) {
	size := int64(len(r.buf))
	n := min(r.end, size)
	start := r.end - n
	out := make([]byte, n)
	for i := int64(0); i < n; {
		pos := (start + i) % size
		c := copy(out[i:], r.buf[pos:])
		i += int64(c)
	}
	if start > 0 {
		if i := bytes.IndexByte(out[:min(len(out), 4096)], '\n'); i >= 0 {
			out = out[i+1:]
			start += int64(i + 1)
		}
	}
	return start, out
}
