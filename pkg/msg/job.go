package msg

import (
	"encoding/json"
	"time"

	"github.com/dockeronline/platform/pkg/apierr"
)

// JobKind says what a long job does.
type JobKind string

// Job kinds. Each long operation of the platform runs as one of these.
const (
	JobImagePull JobKind = "image.pull" // progress: LayerProgress; result: ImagePullResult
	JobBuild     JobKind = "build"
	JobStackUp   JobKind = "stack.up"
)

// JobState is where a job is in its life.
type JobState string

// Job states. A job starts running and ends exactly once, done or failed.
const (
	JobRunning JobState = "running"
	JobDone    JobState = "done"
	JobFailed  JobState = "failed"
)

// Terminal reports whether a job in state s has ended.
func (s JobState) Terminal() bool { return s == JobDone || s == JobFailed }

// Job is a long job as GET /api/v1/jobs/{id} shows it; it is also the value
// kept in the jobs KV bucket.
type Job struct {
	ID       string    `json:"id"`
	Kind     JobKind   `json:"kind"`
	Owner    string    `json:"owner"`    // platform user id
	Username string    `json:"username"` // platform username
	Target   string    `json:"target,omitempty"`
	State    JobState  `json:"state"`
	Created  time.Time `json:"created"`
	// Updated is refreshed by a heartbeat while the job runs, so a job whose
	// runner died is recognised as lost instead of running forever.
	Updated time.Time       `json:"updated"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *apierr.Error   `json:"error,omitempty"`
}

// JobStarted is the reply to a command that starts a job: the job, with the
// places to follow it.
type JobStarted struct {
	Job Job `json:"job"`
	// Status and Events are the gateway's URLs of the job's state and of its
	// server-sent events; the gateway fills them in.
	Status string `json:"status,omitempty"`
	Events string `json:"events,omitempty"`
}

// JobEventType is the type of a job event; it is also the SSE event name.
type JobEventType string

// Job event types. A job's history is any number of progress events, then
// exactly one done or error event.
const (
	JobEventProgress JobEventType = "progress"
	JobEventDone     JobEventType = "done"
	JobEventError    JobEventType = "error"
)

// JobEvent is one message on job.<id>.progress.
type JobEvent struct {
	Job  string       `json:"job"`
	Type JobEventType `json:"type"`
	Time time.Time    `json:"time"`
	// Seq is the event's position in the JOBS stream, filled in by readers;
	// the gateway sends it as the SSE id so a reconnecting browser resumes
	// after the last event it saw (Last-Event-ID).
	Seq      uint64          `json:"seq,omitempty"`
	Progress json.RawMessage `json:"progress,omitempty"` // kind-specific, see JobKind
	Result   json.RawMessage `json:"result,omitempty"`
	Error    *apierr.Error   `json:"error,omitempty"`
}

// Terminal reports whether e ends its job.
func (e JobEvent) Terminal() bool { return e.Type == JobEventDone || e.Type == JobEventError }
