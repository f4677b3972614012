package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/subjects"

	"github.com/dockeronline/platform/services/proxy/routes"
)

// The harness runs the real service (feeder, watcher, public handler) on an
// embedded JetStream server, and speaks to it over real sockets.

const testDomain = "apps.localhost"

var testSecret = []byte("test-link-secret-0123456789abcdef")

type env struct {
	t      testing.TB
	nc     *nats.Conn
	js     jetstream.JetStream
	svc    *Service
	cfg    Config
	base   string // http://127.0.0.1:<port>
	addr   string // 127.0.0.1:<port>
	client *http.Client
}

type envOption func(*Config)

func withoutSecret() envOption { return func(c *Config) { c.LinkSecret = nil } }

func testConfig(opts ...envOption) Config {
	gw, _ := url.Parse("http://gateway.test:8080")
	c := Config{
		AppsDomain:    testDomain,
		GatewayURL:    gw,
		LinkSecret:    testSecret,
		LinkCookieTTL: time.Hour,
		DialTimeout:   2 * time.Second,
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

func testLogger() *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("PROXY_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// newEnv starts NATS and the proxy; everything stops when the test ends.
func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	ns := natstest.Server(t)
	nc := natstest.Connect(t, ns)
	return startProxy(t, nc, testConfig(opts...))
}

// startProxy runs one proxy replica on nc.
func startProxy(t testing.TB, nc *nats.Conn, cfg Config) *env {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(cfg, nc, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	// The runner creates the stream too; either may start first.
	if _, err := bus.EnsureEventsStream(context.Background(), js); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{svc.Feeder.Run, svc.Watcher.Run} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = run(ctx) }()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := svc.PublicServer(nil)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		cancel()
		wg.Wait()
	})
	e := &env{
		t: t, nc: nc, js: js, svc: svc, cfg: cfg,
		addr: ln.Addr().String(), base: "http://" + ln.Addr().String(),
		client: &http.Client{
			Transport:     &http.Transport{Proxy: nil},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Timeout:       30 * time.Second,
		},
	}
	eventually(t, 20*time.Second, "route table loaded", func() bool { return svc.Routes.Loaded() })
	return e
}

// host is the public host name of label, with the proxy's port.
func (e *env) host(label string) string {
	_, port, _ := net.SplitHostPort(e.addr)
	return label + "." + testDomain + ":" + port
}

// reply is a response read whole.
type reply struct {
	status int
	header http.Header
	body   string
}

// do sends req to the proxy, Host set to host.
func (e *env) do(req *http.Request, host string) (reply, error) {
	req.Host = host
	res, err := e.client.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return reply{status: res.StatusCode, header: res.Header, body: string(b)}, err
}

// get is a GET of path on host.
func (e *env) get(host, path string, header ...string) reply {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.base+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	r, err := e.do(req, host)
	if err != nil {
		e.t.Fatalf("GET %s%s: %v", host, path, err)
	}
	return r
}

// waitGet polls host until ok accepts the reply; it returns that reply and
// how long it took.
func (e *env) waitGet(host, path string, timeout time.Duration, what string, ok func(reply) bool) (reply, time.Duration) {
	e.t.Helper()
	start := time.Now()
	var last reply
	var lastErr error
	for time.Since(start) < timeout {
		req, _ := http.NewRequest(http.MethodGet, e.base+path, nil)
		r, err := e.do(req, host)
		if err == nil && ok(r) {
			return r, time.Since(start)
		}
		last, lastErr = r, err
		time.Sleep(2 * time.Millisecond)
	}
	e.t.Fatalf("%s: %s not reached in %s; last: %d %q (err %v)", host, what, timeout, last.status, clip(last.body), lastErr)
	return reply{}, 0
}

// publish sends a container event as the runner does.
func (e *env) publish(ev msg.ContainerEvent) {
	e.t.Helper()
	if err := e.tryPublish(ev); err != nil {
		e.t.Fatal(err)
	}
}

// tryPublish is publish for goroutines other than the test's.
func (e *env) tryPublish(ev msg.ContainerEvent) error {
	if ev.EventID == "" {
		ev.EventID = ev.ID + "-" + ev.Action + "-" + strconv.FormatInt(time.Now().UnixNano(), 10) + "-" + randHex(4)
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := bus.PublishEvent(ctx, e.js, subjects.ContainerEvent(ev.Action), ev.EventID, ev); err != nil {
		return fmt.Errorf("publish %s: %w", ev.Action, err)
	}
	return nil
}

// settle waits until the feeder has acknowledged every event published so
// far: the consumer's ack floor reaches the stream's last sequence (the
// consumer's pending count alone can lag a publish by a moment).
func (e *env) settle() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stream, err := e.js.Stream(ctx, subjects.EventsStream)
	if err != nil {
		e.t.Fatal(err)
	}
	si, err := stream.Info(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	last := si.State.LastSeq
	eventually(e.t, 20*time.Second, "feeder caught up", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c, err := e.js.Consumer(ctx, subjects.EventsStream, routes.ConsumerName)
		if err != nil {
			return false
		}
		info, err := c.Info(ctx)
		return err == nil && info.AckFloor.Stream >= last && info.NumAckPending == 0
	})
}

// kvRoute reads a route from the bucket; ok is false when there is none.
func (e *env) kvRoute(label string) (routes.Route, bool) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	kv, err := e.js.KeyValue(ctx, subjects.RoutesBucket)
	if err != nil {
		e.t.Fatal(err)
	}
	ent, err := kv.Get(ctx, label)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return routes.Route{}, false
	}
	if err != nil {
		e.t.Fatal(err)
	}
	var r routes.Route
	if err := json.Unmarshal(ent.Value(), &r); err != nil {
		e.t.Fatal(err)
	}
	return r, true
}

// startEvent is the event the runner publishes when a container starts.
func startEvent(id, name, user, ip string, ports ...int) msg.ContainerEvent {
	ev := msg.ContainerEvent{
		Action: "start", ID: id, Name: name, Owner: "uid-" + user, Username: user,
		State: "running", IP: ip, DockerName: user + "--" + name,
	}
	for _, p := range ports {
		ev.Ports = append(ev.Ports, msg.PortSpec{Container: p, Protocol: "tcp"})
	}
	return ev
}

// downEvent is a stop/die/destroy of the same container.
func downEvent(action string, ev msg.ContainerEvent) msg.ContainerEvent {
	ev.Action, ev.State, ev.EventID, ev.Time = action, "exited", "", time.Time{}
	return ev
}

func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s: not true after %s", what, timeout)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// isNotFoundPage / isUnavailablePage recognise the proxy's own pages.
func isNotFoundPage(r reply) bool {
	return r.status == http.StatusNotFound && strings.Contains(r.body, "No such app") &&
		strings.HasPrefix(r.header.Get("Content-Type"), "text/html")
}

func isUnavailablePage(r reply) bool {
	return r.status == http.StatusBadGateway && strings.Contains(r.body, "The app is not responding") &&
		strings.Contains(r.body, "Check the container's port")
}

// noGoErrors fails when a page leaks Go error text.
func noGoErrors(t testing.TB, r reply) {
	t.Helper()
	for _, leak := range []string{"dial tcp", "connection refused", "no route to host", "i/o timeout", "context deadline", "EOF"} {
		if strings.Contains(r.body, leak) {
			t.Fatalf("page leaks %q: %s", leak, clip(r.body))
		}
	}
}

func msgUDP(ports ...int) []msg.PortSpec {
	var out []msg.PortSpec
	for _, p := range ports {
		out = append(out, msg.PortSpec{Container: p, Protocol: "udp"})
	}
	return out
}

// publishRaw publishes bytes on the EVENTS stream as they are.
func (e *env) publishRaw(subject, id string, data []byte) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.js.Publish(ctx, subject, data, jetstream.WithMsgID(id)); err != nil {
		e.t.Fatal(err)
	}
}
