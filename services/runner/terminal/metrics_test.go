package terminal

import (
	"net/http/httptest"
	"testing"

	"github.com/dockeronline/platform/pkg/metrics"
	"github.com/dockeronline/platform/pkg/metrics/metricstest"
	"github.com/dockeronline/platform/pkg/msg"
)

// dockeronline_terminal_sessions is the number of sessions open on the
// runner: up by one per open, down when a session ends.
func TestSessionGaugeFollowsOpenSessions(t *testing.T) {
	e := setup(t, DefaultConfig())
	reg := metrics.NewRegistry("runner")
	reg.MustRegister(e.srv.Collector())
	srv := httptest.NewServer(reg.Handler())
	defer srv.Close()
	sessions := func() float64 {
		t.Helper()
		v, ok := metricstest.Scrape(t, srv.URL).Sum("dockeronline_terminal_sessions", nil)
		if !ok {
			t.Fatal("dockeronline_terminal_sessions is not served")
		}
		return v
	}

	if got := sessions(); got != 0 {
		t.Fatalf("before any open: %v sessions", got)
	}
	long := e.follow(t, e.id("session"))
	if _, err := e.open(t, e.alice, msg.TerminalOpen{Name: "box", Session: long.session, Viewer: long.id, Cmd: []string{"sleep", "3600"}}); err != nil {
		t.Fatal(err)
	}
	short := e.follow(t, e.id("session"))
	if _, err := e.open(t, e.alice, msg.TerminalOpen{Name: "box", Session: short.session, Viewer: short.id, Cmd: []string{"sh", "-c", "read line"}}); err != nil {
		t.Fatal(err)
	}
	if got := sessions(); got != 2 {
		t.Fatalf("two sessions open: gauge %v", got)
	}
	short.send("bye\n") // its shell reads a line and exits
	short.waitExit()
	if got := sessions(); got != 1 {
		t.Fatalf("one session ended: gauge %v, want 1", got)
	}
}
