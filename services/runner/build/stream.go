package build

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/moby/moby/api/types/jsonstream"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
)

// Limits of the build log sent as job progress: the JOBS stream takes
// events of at most 64 KiB, and a browser wants a few updates a second.
const (
	maxLine       = 2 << 10  // longer lines are cut
	maxBatchBytes = 16 << 10 // per progress event, well under 64 KiB once in JSON
	maxBatchLines = 200
	flushEvery    = 200 * time.Millisecond
)

// LogFunc receives the build's output: the current step, new lines and
// (BuildKit) the steps that changed.
type LogFunc func(l msg.BuildLog)

// output turns the engine's build stream into lines (a message may carry
// half a line, or several), tracks the step the classic builder announces
// ("Step 2/5 : RUN make"), and batches lines for LogFunc.
type output struct {
	log     LogFunc
	now     func() time.Time
	partial strings.Builder
	step    string
	batch   []string
	bytes   int
	last    time.Time
	tail    []string // the last lines, to quote when a step fails
	steps   []msg.BuildStep
}

func newOutput(log LogFunc) *output {
	return &output{log: log, now: time.Now, last: time.Now()}
}

// write takes one chunk of builder output.
func (o *output) write(s string) {
	for s != "" {
		i := strings.IndexAny(s, "\n\r")
		if i < 0 {
			o.partial.WriteString(s)
			return
		}
		o.partial.WriteString(s[:i])
		o.line(o.partial.String())
		o.partial.Reset()
		s = s[i+1:]
	}
}

func (o *output) line(l string) {
	if l == "" {
		return
	}
	if len(l) > maxLine {
		l = l[:maxLine] + "…"
	}
	if strings.HasPrefix(l, "Step ") && strings.Contains(l, " : ") {
		o.flush()
		o.step = l
	}
	o.batch = append(o.batch, l)
	o.bytes += len(l)
	if o.tail = append(o.tail, l); len(o.tail) > 10 {
		o.tail = o.tail[1:]
	}
	if len(o.batch) >= maxBatchLines || o.bytes >= maxBatchBytes || o.now().Sub(o.last) >= flushEvery {
		o.flush()
	}
}

// flush sends the complete lines and changed steps gathered so far.
func (o *output) flush() {
	if len(o.batch) == 0 && len(o.steps) == 0 {
		return
	}
	if o.log != nil {
		o.log(msg.BuildLog{Step: o.step, Lines: o.batch, Steps: o.steps})
	}
	o.batch, o.steps, o.bytes, o.last = nil, nil, 0, o.now()
}

// setStep names the step the next lines belong to (BuildKit's vertices
// interleave; the classic builder's "Step n/m" lines set it themselves).
func (o *output) setStep(step string) {
	if step == o.step {
		return
	}
	if o.partial.Len() > 0 {
		l := o.partial.String()
		o.partial.Reset()
		o.line(l)
	}
	o.flush()
	o.step = step
}

// stepChanged queues s for the next event, replacing an older state of it.
func (o *output) stepChanged(s msg.BuildStep) {
	for i := range o.steps {
		if o.steps[i].ID == s.ID {
			o.steps[i] = s
			return
		}
	}
	o.steps = append(o.steps, s)
	o.bytes += len(s.Name) + len(s.Error) + 100
	if o.bytes >= maxBatchBytes || o.now().Sub(o.last) >= flushEvery {
		o.flush()
	}
}

// end flushes everything, a last unfinished line included.
func (o *output) end() {
	if o.partial.Len() > 0 {
		l := o.partial.String()
		o.partial.Reset()
		o.line(l)
	}
	o.flush()
}

// readBuild reads a classic builder's JSON stream to its end. It returns
// the built image's id, or the build's failure: Docker's own text, with the
// step that failed ("Step 3/5 : RUN make: The command '/bin/sh -c make'
// returned a non-zero code: 2").
func readBuild(r io.Reader, o *output) (string, error) {
	dec := json.NewDecoder(r)
	var id string
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); err != nil {
			o.end()
			if errors.Is(err, io.EOF) {
				if id == "" {
					return "", apierr.New(apierr.CodeInternal, "the build ended without an image")
				}
				return id, nil
			}
			return "", err
		}
		switch {
		case m.Error != nil:
			o.end()
			return "", stepError(o.step, m.Error.Message)
		case m.Aux != nil:
			var aux struct {
				ID string `json:"ID"`
			}
			if json.Unmarshal(*m.Aux, &aux) == nil && aux.ID != "" {
				id = aux.ID
			}
		case m.Stream != "":
			o.write(m.Stream)
		case m.Status != "":
			// A base image being pulled: one line per layer status.
			l := m.Status
			if m.ID != "" {
				l = m.ID + ": " + l
			}
			if m.Progress == nil || m.Progress.Current == 0 {
				o.write(l + "\n")
			}
		}
	}
}

// stepError is a failed build: the user's Dockerfile failed at step, and
// Docker said text.
func stepError(step, text string) *apierr.Error {
	text = strings.TrimSpace(text)
	if step == "" {
		return apierr.Invalid("the build failed").WithDocker(text)
	}
	return apierr.Invalid("the build failed at %s", step).WithDocker(text)
}
