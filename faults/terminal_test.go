package faults

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dockeronline/platform/faults/harness"
)

// The session lives in the runner; a restarted gateway reattaches to it as
// soon as it serves.
const boundTerminalReattach = 10 * time.Second

// terminalSurvivesGatewayKill: a terminal session outlives the gateway
// that carried it. After a kill -9 and restart of the gateway, the client
// reattaches by session id and sees the previous output exactly once, and
// the shell still answers.
func terminalSurvivesGatewayKill(t *testing.T, p *harness.Platform) {
	u := p.Register(t, harness.UniqueName("term"))
	createAll(t, p, u, []string{"box"}, p.Sleeper)
	w, err := p.OpenTerminal(u.Token, "box", url.Values{"rows": {"24"}, "cols": {"80"}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	hello, err := w.Control("hello", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// Output that differs from its echoed input, so it is counted once.
	if err := w.Send("echo before-$((6*7))\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.WaitFor("before-42", 30*time.Second); err != nil {
		t.Fatal(err)
	}

	gw := p.Service("gateway")
	gw.Kill(t)
	start := time.Now()
	gw.Restart(t)
	var r *harness.Terminal
	harness.ConvergeSince(t, start, "terminal reattached after gateway restart", boundTerminalReattach, func() error {
		var err error
		r, err = p.OpenTerminal(u.Token, "box", url.Values{"session": {hello.Session}})
		return err
	})
	defer r.Close()
	t.Logf("reattached %v after the kill", time.Since(start).Round(time.Millisecond))
	h, err := r.Control("hello", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if h.Session != hello.Session {
		t.Fatalf("reattach joined session %q, want %q", h.Session, hello.Session)
	}
	if err := r.Send("echo after-$((7*7))\n"); err != nil {
		t.Fatal(err)
	}
	screen, err := r.WaitFor("after-49", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(screen, "before-42"); n != 1 {
		t.Fatalf("the output from before the kill shows %d times after reattaching, want 1: %q", n, screen)
	}
	if n := strings.Count(screen, "after-49"); n != 1 {
		t.Fatalf("new output shows %d times, want 1: %q", n, screen)
	}
	t.Logf("checked: session %s… kept, earlier output shown once, the shell answers", hello.Session[:8])
}
