package e2e

import (
	"bytes"
	"context"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/e2e/stack"
)

// BenchmarkTerminalEcho measures the round trip of one keystroke and its
// echo, in one run and against one container:
//
//   - platform: browser websocket → gateway → NATS → runner → docker exec
//     (TTY) → back the same way;
//   - docker-exec: a direct attach to a `docker exec` with a TTY through the
//     Engine API, as `docker exec -it` does.
//
// Both run `cat` on a TTY, whose line discipline echoes each byte. ns/op
// is one round trip; p50 and p99 are reported too. Reproduce with
//
//	go test ./e2e -run '^$' -bench BenchmarkTerminalEcho -benchtime 2000x
func BenchmarkTerminalEcho(b *testing.B) {
	s := stack.Start(b)
	u := s.Register(b, stack.UniqueName("bench"))
	runBox(b, s, u.Token, "bench")

	b.Run("platform", func(b *testing.B) {
		h := map[string][]string{"Authorization": {"Bearer " + u.Token}}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		c, _, err := websocket.Dial(ctx, terminalURL(s, "bench", url.Values{"cmd": {"cat"}}), &websocket.DialOptions{HTTPHeader: h})
		if err != nil {
			b.Fatal(err)
		}
		defer c.CloseNow()
		roundTrip := func(key byte) {
			if err := c.Write(ctx, websocket.MessageBinary, []byte{key}); err != nil {
				b.Fatal(err)
			}
			for {
				typ, p, err := c.Read(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if typ == websocket.MessageBinary && bytes.IndexByte(p, key) >= 0 {
					return
				}
			}
		}
		measure(b, roundTrip)
	})

	b.Run("docker-exec", func(b *testing.B) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		id := containerID(b, s, u.UserID, "bench")
		ex, err := s.Docker.ExecCreate(ctx, id, client.ExecCreateOptions{
			TTY: true, AttachStdin: true, AttachStdout: true, AttachStderr: true, Cmd: []string{"cat"}})
		if err != nil {
			b.Fatal(err)
		}
		att, err := s.Docker.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{TTY: true})
		if err != nil {
			b.Fatal(err)
		}
		defer att.Close()
		buf := make([]byte, 4096)
		roundTrip := func(key byte) {
			if _, err := att.Conn.Write([]byte{key}); err != nil {
				b.Fatal(err)
			}
			for {
				n, err := att.Reader.Read(buf)
				if err != nil {
					b.Fatal(err)
				}
				if bytes.IndexByte(buf[:n], key) >= 0 {
					return
				}
			}
		}
		measure(b, roundTrip)
	})
}

// measure warms up, then times b.N round trips of distinct printable keys
// and reports their p50 and p99 besides ns/op.
func measure(b *testing.B, roundTrip func(byte)) {
	keys := []byte("abcdefghijklmnopqrstuvwxyz")
	for i := range 50 {
		roundTrip(keys[i%len(keys)])
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		roundTrip(keys[i%len(keys)])
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
}

// containerID finds the Docker id of owner's container name.
func containerID(b *testing.B, s *stack.Stack, owner, name string) string {
	b.Helper()
	f := make(client.Filters).Add("label", "dockeronline.owner="+owner).Add("label", "dockeronline.name="+name)
	res, err := s.Docker.ContainerList(context.Background(), client.ContainerListOptions{Filters: f})
	if err != nil || len(res.Items) != 1 {
		b.Fatalf("find %s: %v %d", name, err, len(res.Items))
	}
	return res.Items[0].ID
}
