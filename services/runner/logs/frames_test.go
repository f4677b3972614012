package logs

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
)

func muxFrame(stream byte, body string) []byte {
	hdr := make([]byte, 8)
	hdr[0] = stream
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(body)))
	return append(hdr, body...)
}

// TestFramesOfOneInstantAllGetThrough: stdout and stderr written in the
// same nanosecond are two messages, not a repeat; only the very same
// message again (Docker's follower at a rotation) is dropped.
func TestFramesOfOneInstantAllGetThrough(t *testing.T) {
	ts := "2026-11-28T12:00:00.000000001Z "
	var in bytes.Buffer
	for _, f := range [][]byte{
		muxFrame(1, ts+"out-0\n"),
		muxFrame(2, ts+"err-0\n"),
		muxFrame(2, ts+"err-0\n"), // the follower repeating the last line
		muxFrame(1, "2026-11-28T12:00:00.000000002Z out-1\n"),
	} {
		in.Write(f)
	}
	var out, errs bytes.Buffer
	var pos position
	if err := readFrames(&in, map[byte]io.Writer{1: &out, 2: &errs}, &pos); err != io.EOF {
		t.Fatalf("readFrames: %v", err)
	}
	if out.String() != "out-0\nout-1\n" || errs.String() != "err-0\n" {
		t.Fatalf("stdout %q stderr %q", out.String(), errs.String())
	}
}
