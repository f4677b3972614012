package msg

import "github.com/dockeronline/platform/pkg/apierr"

// Logs. The reader (the gateway) chooses a stream id, subscribes to
// stream.<id>.out, then asks cmd.runner.container.logs. The runner answers
// at once, then publishes LogChunks on stream.<id>.out, never more than the
// credit the reader granted (LogsRequest.Credit, then LogControl.Credit on
// stream.<id>.ctl), so neither side buffers without bound. Both sides send a
// heartbeat when quiet, so each notices when the other is gone.

// LogsRequest (cmd.runner.container.logs) streams a container's logs.
type LogsRequest struct {
	Name   string `json:"name"`
	Owner  string `json:"owner,omitempty"` // admins only
	Stream string `json:"stream"`          // [A-Za-z0-9]{16,64}
	Tail   string `json:"tail,omitempty"`  // a number of lines, or "all" (default)
	Since  string `json:"since,omitempty"` // RFC 3339 time or unix seconds
	Follow bool   `json:"follow,omitempty"`
	Credit int    `json:"credit"` // chunks the reader takes before granting more
}

// LogsStarted is the reply: the stream is on its way.
type LogsStarted struct {
	Stream    string `json:"stream"`
	Container string `json:"container"`
	TTY       bool   `json:"tty"` // a TTY container has one stream: all output is stdout
}

// Kinds of LogChunk.
const (
	LogData      = "data"
	LogHeartbeat = "heartbeat" // the runner is alive, nothing to say
	LogEnd       = "end"       // the logs ended (not following, or the container stopped)
	LogError     = "error"     // the stream failed; Error says why
)

// Names of the two output streams.
const (
	Stdout = "stdout"
	Stderr = "stderr"
)

// LogChunk is one message on stream.<id>.out. Seq counts every message of
// the stream from 1, so a lost one is noticed.
type LogChunk struct {
	Kind   string        `json:"kind"`
	Seq    uint64        `json:"seq"`
	Stream string        `json:"stream,omitempty"` // data: stdout or stderr
	Data   []byte        `json:"data,omitempty"`
	Error  *apierr.Error `json:"error,omitempty"`
}

// LogControl is a message on stream.<id>.ctl: more credit, a heartbeat
// (Credit 0), or the reader going away.
type LogControl struct {
	Credit int  `json:"credit,omitempty"`
	Cancel bool `json:"cancel,omitempty"`
}

// ValidStreamID reports whether s may name a log stream (it becomes part
// of a NATS subject): letters and digits, 16 to 64 of them.
func ValidStreamID(s string) bool { return validID(s, 16, 64) }
