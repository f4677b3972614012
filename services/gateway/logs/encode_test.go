package logs

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dockeronline/platform/pkg/apierr"
)

func TestSSEKeepsCarriageReturnsAndWholeCharacters(t *testing.T) {
	var b bytes.Buffer
	s := newSSE(&b)
	café := []byte("caf\xc3\xa9\n")
	steps := []struct {
		stream string
		data   []byte
	}{
		{"stdout", []byte("10%\r50%\r100%\n")},
		{"stdout", café[:4]}, // cut inside é
		{"stderr", []byte("<err> & \"q\"\n")},
		{"stdout", café[4:]},
		{"stdout", []byte("\x01\x1b[0m")},
	}
	for _, st := range steps {
		if err := s.data(st.stream, st.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.end(); err != nil {
		t.Fatal(err)
	}
	want := "event: stdout\ndata: \"10%\\r50%\\r100%\\n\"\n\n" +
		"event: stdout\ndata: \"caf\"\n\n" +
		"event: stderr\ndata: \"<err> & \\\"q\\\"\\n\"\n\n" +
		"event: stdout\ndata: \"é\\n\"\n\n" +
		"event: stdout\ndata: \"\\u0001\\u001b[0m\"\n\n" +
		"event: end\ndata: {}\n\n"
	if b.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	_ = s.fail(apierr.NotFound("gone"))
	if !strings.HasPrefix(b.String(), "event: error\ndata: {\"error\":{\"code\":\"not_found\"") {
		t.Fatalf("error event %q", b.String())
	}
}

func TestSplitUTF8(t *testing.T) {
	for _, tt := range []struct{ in, head, rest string }{
		{"abc", "abc", ""},
		{"ab\xc3", "ab", "\xc3"},
		{"\xe2\x82", "", "\xe2\x82"},
		{"\xe2\x82\xac", "\xe2\x82\xac", ""},
		{"x\xf0\x9f\x98", "x", "\xf0\x9f\x98"},
		{"\xff\xfe", "\xff\xfe", ""}, // invalid bytes are not held back
	} {
		h, r := splitUTF8([]byte(tt.in))
		if string(h) != tt.head || string(r) != tt.rest {
			t.Errorf("splitUTF8(%q) = %q %q", tt.in, h, r)
		}
	}
}
