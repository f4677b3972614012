// Package testenv starts the real dependencies that tests need (Postgres,
// Ory Kratos) as private processes on free loopback ports, and stops them
// when the test ends. It uses only the standard library so that every module
// can import it without pulling in anything else.
//
// Helpers never skip: a missing binary fails the test with the command that
// installs it, because a skipped test would hide a broken machine in CI.
package testenv

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RepoRoot returns the repository root: the nearest directory at or above
// the working directory that holds go.work. Tests run in their package
// directory, so this is how they find bin/ and deploy/.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("testenv: working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("testenv: no go.work above the working directory; run the tests from inside the repository")
		}
		dir = parent
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
// Another process may take it before the caller binds it; callers that start
// servers fail loudly in that (rare) case rather than retry silently.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// process is a child process whose output is kept in memory, so a failing
// test can show what the dependency said.
type process struct {
	name string
	cmd  *exec.Cmd
	out  lockedBuffer
	done chan struct{} // closed when the process has exited
	err  error         // exit status, valid after done
}

// startProcess starts cmd in its own process group (so stopping it also
// stops anything it forked) and asks the kernel to kill it if the test
// binary dies first.
func startProcess(t testing.TB, name string, cmd *exec.Cmd) *process {
	t.Helper()
	p := &process{name: name, cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.out, &p.out
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		t.Fatalf("testenv: start %s (%s): %v", name, cmd.Path, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p
}

// exited reports whether the process has already ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends sig to the process group, waits up to grace, then kills it.
func (p *process) stop(sig syscall.Signal, grace time.Duration) {
	if p.exited() {
		return
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, sig)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
}

// stopOnCleanup stops the process when the test ends and, if the test
// failed, prints everything the process wrote.
func (p *process) stopOnCleanup(t testing.TB, sig syscall.Signal, grace time.Duration) {
	t.Cleanup(func() {
		p.stop(sig, grace)
		if t.Failed() {
			t.Logf("testenv: output of %s:\n%s", p.name, p.out.String())
		}
	})
}

// lockedBuffer is a bytes.Buffer safe for the writer goroutines of exec.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
