package terminal

import (
	"bufio"
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/client"
)

// startScript runs first in every session. It prints its own pid (the
// session leader's pid inside the container: the exec's TTY makes it a
// session leader) so the runner can end the whole session later — Docker
// has no API to kill an exec — then becomes the command or a shell:
// $SHELL from the container's environment (the image's, unless overridden),
// else bash, else sh.
const startScript = `echo "$$"
if [ $# -gt 0 ]; then exec "$@"; fi
if [ -n "$SHELL" ] && [ -x "$SHELL" ]; then exec "$SHELL"; fi
if [ -x /bin/bash ]; then exec /bin/bash; fi
exec /bin/sh`

// killScript ends every process of the terminal's session (sid $1), which
// covers jobs the shell started in other process groups. Processes the
// user deliberately moved to another session (setsid, some daemons) are
// left to the container's own lifecycle.
const killScript = `sid=$1
for d in /proc/[0-9]*; do
	read -r s 2>/dev/null <"$d/stat" || continue
	set -- ${s##*") "}
	[ "$4" = "$sid" ] && kill -KILL "${d#/proc/}" 2>/dev/null
done
exit 0`

// execEnv is added to the container's environment for the session.
var execEnv = []string{"TERM=xterm-256color"}

// startCmd is the argv of a session running cmd (or a shell when empty).
func startCmd(cmd []string) []string {
	return append([]string{"/bin/sh", "-c", startScript, "dol-terminal"}, cmd...)
}

// errNoPID means the start script did not run: the exec failed before it
// (typically: no /bin/sh in the image).
var errNoPID = errors.New("the terminal's start script did not report its pid")

// readPID reads the start script's first line from r. What came instead,
// if it is not a pid, is returned as output (usually Docker's own error).
func readPID(r *bufio.Reader) (int, []byte, error) {
	var line []byte
	for len(line) < 32 {
		b, err := r.ReadByte()
		if err != nil {
			return 0, line, err
		}
		if b == '\n' {
			pid, perr := strconv.Atoi(strings.TrimSpace(string(line)))
			if perr != nil || pid <= 0 {
				return 0, append(line, b), errNoPID
			}
			return pid, nil, nil
		}
		line = append(line, b)
	}
	return 0, line, errNoPID
}

// killSession ends every process of session sid in container id through a
// second exec, and waits (bounded) for the terminal's exec to stop.
func killSession(ctx context.Context, docker *client.Client, id, execID string, sid int) error {
	ex, err := docker.ExecCreate(ctx, id, client.ExecCreateOptions{
		Cmd: []string{"/bin/sh", "-c", killScript, "dol-terminal-kill", strconv.Itoa(sid)},
	})
	if err != nil {
		return err
	}
	if _, err := docker.ExecStart(ctx, ex.ID, client.ExecStartOptions{Detach: true}); err != nil {
		return err
	}
	for {
		in, err := docker.ExecInspect(ctx, execID, client.ExecInspectOptions{})
		if err != nil || !in.Running {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
