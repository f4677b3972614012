package build

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	bkclient "github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/policy"
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
	num    map[digest.Digest]int // "#n", as BuildKit's plain output numbers them
	n      int
	failed *msg.BuildStep // the first step that failed on its own
}

func newSteps(out *output) *steps {
	return &steps{out: out, byID: map[digest.Digest]*msg.BuildStep{}, num: map[digest.Digest]int{}}
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
			s.num[v.Digest] = s.n
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
			s.lines(v.Digest, before, *step)
		}
	}
	for _, l := range st.Logs {
		if step := s.byID[l.Vertex]; step != nil {
			s.out.setStep(step.Name)
		}
		s.out.write(prefixLines(fmt.Sprintf("#%d ", s.num[l.Vertex]), string(l.Data)))
	}
}

// lines writes a step's changes to the log as BuildKit's plain output
// does ("#3 [2/2] RUN make", "#3 DONE 1.2s"), for readers of lines only.
func (s *steps) lines(d digest.Digest, before, now msg.BuildStep) {
	n := s.num[d]
	s.out.setStep(now.Name)
	if before.Started == nil && now.Started != nil || before.Name == "" && now.Cached {
		s.out.write(fmt.Sprintf("#%d %s\n", n, now.Name))
	}
	switch {
	case now.Error != "" && before.Error == "":
		s.out.write(fmt.Sprintf("#%d ERROR: %s\n", n, now.Error))
	case now.Cached && !before.Cached:
		s.out.write(fmt.Sprintf("#%d CACHED\n", n))
	case now.Completed != nil && before.Completed == nil:
		s.out.write(fmt.Sprintf("#%d DONE %.1fs\n", n, float64(now.DurationMS)/1000))
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
	// The source policy's refusal is the platform's, under the rule the
	// judge would have named.
	if m := deniedSource.FindStringSubmatch(text); m != nil {
		return (&apierr.Error{Code: apierr.CodePolicy, Rule: policy.RuleRemoteSource,
			Message: fmt.Sprintf("the build may read only its context and its judged base images, not %s", m[1])}).WithDocker(text)
	}
	if m := deniedEntitlement.FindStringSubmatch(text); m != nil {
		return (&apierr.Error{Code: apierr.CodePolicy, Rule: policy.RuleEntitlement,
			Message: fmt.Sprintf("builds get no BuildKit entitlement here; the Dockerfile asked for %s", m[1])}).WithDocker(text)
	}
	if s.failed != nil {
		return stepError(s.failed.Name, text)
	}
	return stepError("", text)
}

// deniedEntitlement finds the daemon's refusal of an entitlement a RUN
// step asked for (--network=host, --security=insecure, devices).
var deniedEntitlement = regexp.MustCompile(`\b([a-z]+\.[a-z]+) is not allowed`)

// deniedSource finds BuildKit's source policy refusal in its error text.
var deniedSource = regexp.MustCompile(`source "([^"]{1,512})" denied by policy`)

// prefixLines puts p before every line of data.
func prefixLines(p, data string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(data, "\n") {
		if l != "" {
			b.WriteString(p)
			b.WriteString(l)
		}
	}
	return b.String()
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
