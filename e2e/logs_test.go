package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	mobycontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/e2e/stack"
)

// sseEvent is one server-sent event of the logs route.
type sseEvent struct {
	Name string
	Data string // decoded: the chunk's text for stdout/stderr
	Raw  string
}

// logsStream opens GET /logs and returns the response, which the caller
// reads and closes.
func logsStream(t testing.TB, ctx context.Context, s *stack.Stack, token, name, query, accept string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.GatewayURL+"/api/v1/containers/"+name+"/logs?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// readSSE reads events until "end" or "error" (inclusive) or EOF, calling
// each (which may stop the reading by returning false).
func readSSE(t testing.TB, r io.Reader, each func(sseEvent) bool) {
	t.Helper()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var ev sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			ev.Name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.Raw = strings.TrimPrefix(line, "data: ")
			if ev.Name == "stdout" || ev.Name == "stderr" {
				if err := json.Unmarshal([]byte(ev.Raw), &ev.Data); err != nil {
					t.Fatalf("event data %q is not a JSON string: %v", ev.Raw, err)
				}
			}
		case line == "" && ev.Name != "":
			if !each(ev) || ev.Name == "end" || ev.Name == "error" {
				return
			}
			ev = sseEvent{}
		}
	}
}

// collect reads a whole non-following SSE response into per-stream text.
func collect(t testing.TB, s *stack.Stack, token, name, query string) (stdout, stderr string, last string) {
	t.Helper()
	res := logsStream(t, context.Background(), s, token, name, query, "")
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("logs %s?%s: %d %s %s", name, query, res.StatusCode, res.Header.Get("Content-Type"), b)
	}
	var o, e strings.Builder
	readSSE(t, res.Body, func(ev sseEvent) bool {
		switch ev.Name {
		case "stdout":
			o.WriteString(ev.Data)
		case "stderr":
			e.WriteString(ev.Data)
		}
		last = ev.Name
		return true
	})
	return o.String(), e.String(), last
}

// TestLogs: tail and the whole log, stdout and stderr told apart, \r kept,
// plain text on request, follow that streams what comes next, tenancy.
func TestLogs(t *testing.T) {
	s := stack.Start(t)
	a := s.Register(t, stack.UniqueName("alice"))
	b := s.Register(t, stack.UniqueName("bob"))
	script := `echo out-1; echo err-1 >&2; printf 'progress 10%%\rprogress 100%%\n'; ` +
		`i=0; while [ $i -lt 5 ]; do echo line-$i; i=$((i+1)); done; ` +
		`i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.2; done`
	r := s.Call(t, a.Token, http.MethodPost, "/api/v1/containers", map[string]any{
		"name": "talker", "image": s.Image, "cmd": []string{"sh", "-c", script}})
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}

	// The whole log so far, then the end event.
	deadline := time.Now().Add(30 * time.Second)
	var out, errs, last string
	for {
		out, errs, last = collect(t, s, a.Token, "talker", "tail=all")
		if strings.Contains(out, "tick-1") || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if last != "end" {
		t.Fatalf("stream ended with %q, want end", last)
	}
	if !strings.HasPrefix(out, "out-1\nprogress 10%\rprogress 100%\nline-0\n") || strings.Contains(out, "err-1") {
		t.Fatalf("stdout = %q", out)
	}
	if errs != "err-1\n" {
		t.Fatalf("stderr = %q", errs)
	}

	// tail=N: the last N lines only.
	out, errs, _ = collect(t, s, a.Token, "talker", "tail=2")
	if n := strings.Count(out+errs, "\n"); n != 2 || !strings.Contains(out, "tick-") {
		t.Fatalf("tail=2 gave %q / %q", out, errs)
	}

	// follow, as plain text: what the container prints next keeps coming.
	ctx, cancel := context.WithCancel(context.Background())
	res := logsStream(t, ctx, s, a.Token, "talker", "tail=0&follow=true", "text/plain")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("follow: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	first, lastTick := -1, -1
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() && (first < 0 || lastTick < first+5) {
		n, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "tick-"))
		if err != nil {
			t.Fatalf("follow line %q", sc.Text())
		}
		if first < 0 {
			first = n
		} else if n != lastTick+1 {
			t.Fatalf("follow jumped from tick-%d to tick-%d", lastTick, n)
		}
		lastTick = n
	}
	cancel()
	res.Body.Close()
	if lastTick < first+5 {
		t.Fatalf("follow stopped at tick-%d (from %d): %v", lastTick, first, sc.Err())
	}

	// Bob: 404, as for a container that does not exist; bad input: 400.
	for _, c := range []struct {
		token, name, query string
		status             int
	}{
		{b.Token, "talker", "tail=all", http.StatusNotFound},
		{a.Token, "nope", "", http.StatusNotFound},
		{a.Token, "talker", "tail=lots", http.StatusBadRequest},
		{a.Token, "talker", "follow=maybe", http.StatusBadRequest},
		{a.Token, "talker", "since=yesterday", http.StatusBadRequest},
		{"", "talker", "", http.StatusUnauthorized},
	} {
		res := logsStream(t, context.Background(), s, c.token, c.name, c.query, "")
		res.Body.Close()
		if res.StatusCode != c.status {
			t.Errorf("logs %s?%s: %d, want %d", c.name, c.query, res.StatusCode, c.status)
		}
	}
}

// TestLogsFollowAcrossRotation: a container writes fast into a json-file
// log of 4 KiB × 3 files, so Docker rotates it about twenty times while a
// client follows; every line still arrives, in order, to the last one.
// (The writer pauses briefly every 10 lines: a follower can only read what
// is still on disk, and the files hold about 150 lines.)
func TestLogsFollowAcrossRotation(t *testing.T) {
	s := stack.Start(t)
	a := s.Register(t, stack.UniqueName("alice"))
	const lines = 1000
	// The platform's policy sets 10 MB logs; to rotate quickly the test
	// makes the container itself, with the platform's labels.
	ctx := context.Background()
	script := fmt.Sprintf(`sleep 1; i=0; while [ $i -lt %d ]; do echo rot-$i-padding-padding; i=$((i+1)); `+
		`[ $((i %% 10)) = 0 ] && sleep 0.05; done; echo rot-done; sleep 3600`, lines)
	cr, err := s.Docker.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name: a.Username + "--rotor",
		Config: &mobycontainer.Config{Image: s.Image, Cmd: []string{"sh", "-c", script}, Labels: map[string]string{
			"dockeronline.owner": a.UserID, "dockeronline.username": a.Username, "dockeronline.name": "rotor"}},
		HostConfig: &mobycontainer.HostConfig{LogConfig: mobycontainer.LogConfig{Type: "json-file",
			Config: map[string]string{"max-size": "4k", "max-file": "3"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Docker.ContainerStart(ctx, cr.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}

	fctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	res := logsStream(t, fctx, s, a.Token, "rotor", "follow=true", "")
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("follow: %d %s", res.StatusCode, b)
	}
	re := regexp.MustCompile(`^rot-(\d+)-padding-padding$`)
	next, done := 0, false
	var partial string
	readSSE(t, res.Body, func(ev sseEvent) bool {
		if ev.Name != "stdout" {
			t.Fatalf("event %s %q", ev.Name, ev.Raw)
		}
		text := partial + ev.Data
		ls := strings.Split(text, "\n")
		partial = ls[len(ls)-1]
		for _, l := range ls[:len(ls)-1] {
			if l == "rot-done" {
				done = true
				return false
			}
			m := re.FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("unexpected line %q", l)
			}
			if n, _ := strconv.Atoi(m[1]); n != next {
				t.Fatalf("after rot-%d came %q: a line was lost or repeated across rotation", next-1, l)
			}
			next++
		}
		return true
	})
	if !done || next != lines {
		t.Fatalf("follow ended after %d of %d lines (done %v)", next, lines, done)
	}
	// The log really rotated: Docker keeps only the last 12 KiB or so.
	out, _, _ := collect(t, s, a.Token, "rotor", "tail=all")
	if strings.Contains(out, "rot-0-") || strings.Count(out, "\n") > 300 {
		t.Fatalf("the log did not rotate (%d lines kept)", strings.Count(out, "\n"))
	}
}
