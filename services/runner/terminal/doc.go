// Package terminal is the runner's side of browser terminals: TTY sessions
// (`docker exec`) that outlive a dropped connection, with a scrollback for
// reattaching viewers, input applied once, resize, and an end that kills
// the session's processes. README.md beside this file describes the
// protocol, the back-pressure policy and the lifetimes.
package terminal
