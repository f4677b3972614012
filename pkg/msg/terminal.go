package msg

// Terminals. A session is a `docker exec` with a TTY held by the runner that
// opened it. The gateway opens it on cmd.runner.terminal.open, then talks to
// the holder directly: frames on term.<session>.in (requests, acknowledged)
// and output on term.<session>.out. See services/runner/terminal/README.md.

// TerminalOpen (cmd.runner.terminal.open) starts a TTY session in one of
// the caller's running containers. The opener chooses Session (so it can
// subscribe to term.<session>.out before any byte is published); the runner
// refuses an id that is already in use.
type TerminalOpen struct {
	Name    string   `json:"name"`
	Owner   string   `json:"owner,omitempty"` // admins only: another user's container
	Session string   `json:"session"`         // [A-Za-z0-9]{16,64}
	Viewer  string   `json:"viewer"`          // the opening connection, [A-Za-z0-9]{8,64}
	Cmd     []string `json:"cmd,omitempty"`   // default: $SHELL, bash, sh
	Rows    uint16   `json:"rows,omitempty"`
	Cols    uint16   `json:"cols,omitempty"`
}

// TerminalSession is the reply to an open or an attach: the session and a
// snapshot of its recent output. Output bytes are numbered from 0 when the
// session starts; Scrollback holds bytes [Start, Start+len(Scrollback)).
type TerminalSession struct {
	Session    string   `json:"session"`
	Container  string   `json:"container"` // the name the user chose
	Owner      string   `json:"owner"`
	Cmd        []string `json:"cmd,omitempty"`
	Start      int64    `json:"start"`
	Scrollback []byte   `json:"scrollback,omitempty"`
	Rows       uint16   `json:"rows"`
	Cols       uint16   `json:"cols"`
}

// End returns the offset of the byte after the snapshot.
func (s TerminalSession) End() int64 { return s.Start + int64(len(s.Scrollback)) }

// Kinds of frames on term.<session>.in.
const (
	TermInput  = "input"  // Data typed by a viewer; (Viewer, Seq) is applied once
	TermResize = "resize" // Rows × Cols
	TermPing   = "ping"   // a viewer is still there
	TermAttach = "attach" // a viewer joins; reply TerminalSession
	TermDetach = "detach" // a viewer leaves
	TermClose  = "close"  // end the session now
)

// TermIn is a frame on term.<session>.in, sent as a request. The holder
// answers Reply[Empty] (Reply[TerminalSession] for an attach); an error
// not_found means the session has ended.
type TermIn struct {
	Kind   string `json:"kind"`
	Viewer string `json:"viewer"`
	Seq    uint64 `json:"seq,omitempty"`  // input: 1, 2, 3… per viewer
	Data   []byte `json:"data,omitempty"` // input
	Rows   uint16 `json:"rows,omitempty"` // resize
	Cols   uint16 `json:"cols,omitempty"` // resize
	Name   string `json:"name,omitempty"` // attach: the container the viewer asked for
}

// Kinds of frames on term.<session>.out.
const (
	TermData = "data" // Data are output bytes starting at Offset
	TermExit = "exit" // the session has ended; nothing follows
)

// TermOut is a frame on term.<session>.out (published, not acknowledged).
type TermOut struct {
	Kind     string `json:"kind"`
	Offset   int64  `json:"offset"`
	Data     []byte `json:"data,omitempty"`
	ExitCode int    `json:"exit_code,omitempty"`
	Reason   string `json:"reason,omitempty"` // exit: why (exited, closed, idle, detached, …)
}

// ValidSessionID reports whether s may name a terminal session: it becomes
// part of a NATS subject, so only letters and digits, 16 to 64 of them.
func ValidSessionID(s string) bool { return validID(s, 16, 64) }

// ValidViewerID reports whether s may name a terminal viewer.
func ValidViewerID(s string) bool { return validID(s, 8, 64) }

func validID(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
