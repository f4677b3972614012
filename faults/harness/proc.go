package harness

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Proc is a restartable child process: the same program, arguments and
// environment every time, its output appended to one log file across
// restarts. It runs in its own process group, so Kill takes its children
// (Postgres' backends) with it, and dies with the test binary.
type Proc struct {
	Name string
	Path string
	Args []string
	Env  []string
	// Cred, if set, runs the process as another user (Postgres refuses root).
	Cred *syscall.Credential
	// Ready reports whether the process serves; Start waits for it.
	Ready func(ctx context.Context) error
	// LogFile receives stdout and stderr.
	LogFile string

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{}
	starts int
}

// ReadyTimeout bounds how long Start waits for Ready.
const ReadyTimeout = 90 * time.Second

// Start starts the process and waits until Ready answers; it fails the test
// if the process exits first or is not ready in ReadyTimeout.
func (p *Proc) Start(t testing.TB) {
	t.Helper()
	if err := p.start(); err != nil {
		t.Fatalf("start %s: %v", p.Name, err)
	}
	if err := p.WaitReady(ReadyTimeout); err != nil {
		t.Fatalf("%s: %v\nlast output:\n%s", p.Name, err, p.Tail(4000))
	}
}

func (p *Proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && !exited(p.done) {
		return fmt.Errorf("%s is already running (pid %d)", p.Name, p.cmd.Process.Pid)
	}
	log, err := os.OpenFile(p.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close() // the child holds its own copy
	p.starts++
	fmt.Fprintf(log, "\n===== harness: start #%d of %s at %s =====\n", p.starts, p.Name, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(p.Path, p.Args...)
	cmd.Env = p.Env
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: p.Cred}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	p.cmd, p.done = cmd, done
	return nil
}

// WaitReady polls Ready until it answers, the process exits, or d passes.
func (p *Proc) WaitReady(d time.Duration) error {
	deadline := time.Now().Add(d)
	var last error
	for {
		p.mu.Lock()
		done := p.done
		p.mu.Unlock()
		if done == nil || exited(done) {
			return fmt.Errorf("exited during start-up")
		}
		if p.Ready == nil {
			return nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		last = p.Ready(ctx)
		cancel()
		if last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v: %v", d, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kill sends SIGKILL to the process group — no clean-up, no goodbye — and
// waits until the process is gone.
func (p *Proc) Kill(t testing.TB) {
	t.Helper()
	p.signal(syscall.SIGKILL, 0)
	t.Logf("harness: killed %s (SIGKILL)", p.Name)
}

// Stop asks the process to stop (sig), then kills it after grace.
func (p *Proc) Stop(sig syscall.Signal, grace time.Duration) { p.signal(sig, grace) }

func (p *Proc) signal(sig syscall.Signal, grace time.Duration) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil || exited(done) {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
	if sig != syscall.SIGKILL {
		select {
		case <-done:
			return
		case <-time.After(grace):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	}
	<-done
}

// Restart starts a stopped or killed process again and waits for it.
func (p *Proc) Restart(t testing.TB) {
	t.Helper()
	p.Start(t)
	t.Logf("harness: %s restarted", p.Name)
}

// Running reports whether the process is alive.
func (p *Proc) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil && !exited(p.done)
}

// Pid is the running process' id (0 when it is not running).
func (p *Proc) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || exited(p.done) {
		return 0
	}
	return p.cmd.Process.Pid
}

// Tail is the last n bytes of the process' log.
func (p *Proc) Tail(n int64) string {
	f, err := os.Open(p.LogFile)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > n {
		_, _ = f.Seek(fi.Size()-n, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}

// Count is how many times text occurs in the whole log.
func (p *Proc) Count(text string) int {
	b, err := os.ReadFile(p.LogFile)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), text)
}

func exited(done chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}
