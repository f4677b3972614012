package build

import (
	"strings"
	"testing"
	"time"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
)

// TestReadBuild reads classic builder streams: lines split across
// messages, steps, the image id, and a failure naming its step.
func TestReadBuild(t *testing.T) {
	cases := []struct {
		name, stream string
		id           string
		step, docker string // of the failure
		lines        []string
	}{
		{
			name: "success",
			stream: `{"stream":"Step 1/2 : FROM busybox\n"}{"stream":" ---\u003e 1234\n"}{"stream":"Step 2/2 : RUN echo hel"}` +
				`{"stream":"lo\nworld\n"}{"aux":{"ID":"sha256:abc"}}{"stream":"Successfully built abc\n"}`,
			id:    "sha256:abc",
			lines: []string{"Step 1/2 : FROM busybox", " ---> 1234", "Step 2/2 : RUN echo hello", "world", "Successfully built abc"},
		},
		{
			name:   "failing step",
			stream: `{"stream":"Step 1/2 : FROM busybox\n"}{"stream":"Step 2/2 : RUN exit 3\n"}{"stream":" ---\u003e Running in 42\n"}{"errorDetail":{"code":3,"message":"The command '/bin/sh -c exit 3' returned a non-zero code: 3"},"error":"The command '/bin/sh -c exit 3' returned a non-zero code: 3"}`,
			step:   "Step 2/2 : RUN exit 3", docker: "The command '/bin/sh -c exit 3' returned a non-zero code: 3",
			lines: []string{"Step 1/2 : FROM busybox", "Step 2/2 : RUN exit 3", " ---> Running in 42"},
		},
		{
			name:   "no image",
			stream: `{"stream":"Step 1/1 : FROM busybox\n"}`,
			lines:  []string{"Step 1/1 : FROM busybox"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			var steps []string
			o := newOutput(func(l msg.BuildLog) {
				step, lines := l.Step, l.Lines
				got = append(got, lines...)
				steps = append(steps, step)
			})
			id, err := readBuild(strings.NewReader(c.stream), o)
			if strings.Join(got, "|") != strings.Join(c.lines, "|") {
				t.Errorf("lines %q, want %q", got, c.lines)
			}
			switch {
			case c.id != "":
				if err != nil || id != c.id {
					t.Fatalf("got %q, %v; want %q", id, err, c.id)
				}
			case c.step != "":
				ae := apierr.From(err)
				if ae == nil || !strings.Contains(ae.Message, c.step) || ae.Docker != c.docker || ae.Code != apierr.CodeInvalid {
					t.Fatalf("error %v, want one naming %q quoting %q", err, c.step, c.docker)
				}
			default:
				if err == nil {
					t.Fatalf("a build without an image succeeded")
				}
			}
		})
	}
}

// TestOutputBatches: lines are batched, a batch never mixes steps, and a
// long line is cut.
func TestOutputBatches(t *testing.T) {
	now := time.Unix(0, 0)
	var batches [][]string
	var steps []string
	o := newOutput(func(l msg.BuildLog) { batches = append(batches, l.Lines); steps = append(steps, l.Step) })
	o.now = func() time.Time { return now }
	o.last = now
	o.write("a\nb\n")
	o.write("Step 2/3 : RUN x\n")
	o.write(strings.Repeat("z", maxLine+10) + "\n")
	now = now.Add(time.Second)
	o.write("c\n")
	o.end()
	if len(batches) != 2 || strings.Join(batches[0], ",") != "a,b" || steps[0] != "" || steps[1] != "Step 2/3 : RUN x" {
		t.Fatalf("batches %q steps %q", batches, steps)
	}
	if l := batches[1][1]; len(l) > maxLine+len("…") {
		t.Errorf("a long line was kept whole (%d bytes)", len(l))
	}
}
