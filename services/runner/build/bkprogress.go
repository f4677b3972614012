package build

import (
	"strings"
	"time"

	bkclient "github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
)

// maxSteps bounds the steps reported for one build (a Dockerfile of a
// thousand lines still gives a readable page and bounded events).
const maxSteps = 500

// steps turns BuildKit's status stream (vertices, their logs) into the
// build's output: each vertex is a msg.BuildStep (name, cached, start,
// duration, error), its log lines are output lines under its name.
type steps struct {
	out    *output
	byID   map[digest.Digest]*msg.BuildStep
	n      int
	failed *msg.BuildStep // the first step that failed on its own
}

func newSteps(out *output) *steps {
	return &steps{out: out, byID: map[digest.Digest]*msg.BuildStep{}}
}

func (s *steps) status(st *bkclient.SolveStatus) {
	for _, v := range st.Vertexes {
		step := s.byID[v.Digest]
		if step == nil {
			if s.n >= maxSteps {
				continue
			}
			s.n++
			step = &msg.BuildStep{ID: v.Digest.Encoded()[:12]}
			s.byID[v.Digest] = step
		}
		name := v.Name
		if len(name) > maxLine {
			name = name[:maxLine] + "…"
		}
		before := *step
		step.Name, step.Cached, step.Started, step.Completed = name, v.Cached, utc(v.Started), utc(v.Completed)
		if v.Started != nil && v.Completed != nil {
			step.DurationMS = v.Completed.Sub(*v.Started).Milliseconds()
		}
		if v.Error != "" {
			step.Error = v.Error
			if s.failed == nil && !canceled(v.Error) {
				s.failed = step
			}
		}
		if !sameStep(before, *step) {
			s.out.stepChanged(*step)
		}
	}
	for _, l := range st.Logs {
		if step := s.byID[l.Vertex]; step != nil {
			s.out.setStep(step.Name)
		}
		s.out.write(string(l.Data))
	}
}

// failure is the build's error: the step that failed, quoted with
// BuildKit's own words (as the classic builder's failures are).
func (s *steps) failure(err error) *apierr.Error {
	text := err.Error()
	// The client wraps the daemon's words in gRPC's.
	if i := strings.Index(text, "desc = "); i >= 0 {
		text = text[i+len("desc = "):]
	}
	if s.failed != nil {
		return stepError(s.failed.Name, text)
	}
	return stepError("", text)
}

func canceled(e string) bool {
	return strings.Contains(e, "context canceled") || strings.Contains(e, "canceled:")
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func sameStep(a, b msg.BuildStep) bool {
	return a.Name == b.Name && a.Cached == b.Cached && a.Error == b.Error &&
		(a.Started == nil) == (b.Started == nil) && (a.Completed == nil) == (b.Completed == nil)
}
