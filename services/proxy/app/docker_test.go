package app

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/msg"
)

// Tests against the real Docker engine: busybox httpd containers on a bridge
// network of their own (as a user's network), reached by their bridge
// address, with the container events the runner would publish.

type dockerEnv struct {
	t       testing.TB
	cli     *client.Client
	image   string
	network string
	prefix  string
}

func newDocker(t testing.TB) *dockerEnv {
	t.Helper()
	cli := dockertest.Client(t)
	d := &dockerEnv{t: t, cli: cli, image: dockertest.BusyboxImage(t, cli), prefix: "dolproxytest-" + randHex(3)}
	d.network = d.prefix + "-net"
	ctx := context.Background()
	if _, err := cli.NetworkCreate(ctx, d.network, client.NetworkCreateOptions{
		Driver: "bridge", Labels: map[string]string{"dockeronline.test": "proxy"},
	}); err != nil {
		t.Fatalf("create network: %v", err)
	}
	// Registered first, so it runs after every container is gone.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := cli.NetworkRemove(ctx, d.network, client.NetworkRemoveOptions{}); err != nil {
			t.Errorf("remove network %s: %v", d.network, err)
		}
	})
	return d
}

// httpd creates (not starts) a busybox httpd container serving body on port.
func (d *dockerEnv) httpd(name, body string, port int) string {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := d.cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name: d.prefix + "-" + name,
		Config: &container.Config{
			Image:  d.image,
			Env:    []string{"BODY=" + body},
			Cmd:    []string{"sh", "-c", fmt.Sprintf(`mkdir -p /www && echo "$BODY" > /www/index.html && exec httpd -f -p %d -h /www`, port)},
			Labels: map[string]string{"dockeronline.test": "proxy"},
		},
		HostConfig: &container.HostConfig{
			NetworkMode: container.NetworkMode(d.network),
			Resources:   container.Resources{Memory: 16 << 20, PidsLimit: ptr(int64(32))},
		},
	})
	if err != nil {
		d.t.Fatalf("create %s: %v", name, err)
	}
	d.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := d.cli.ContainerRemove(ctx, res.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
			d.t.Errorf("remove %s: %v", name, err)
		}
	})
	return res.ID
}

// start starts a container and returns its address on the network.
func (d *dockerEnv) start(id string) string {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := d.cli.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		d.t.Fatalf("start %s: %v", id, err)
	}
	return d.ip(id)
}

func (d *dockerEnv) ip(id string) string {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := d.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		d.t.Fatalf("inspect %s: %v", id, err)
	}
	ep := res.Container.NetworkSettings.Networks[d.network]
	if ep == nil || !ep.IPAddress.IsValid() {
		d.t.Fatalf("container %s has no address on %s", id, d.network)
	}
	return ep.IPAddress.String()
}

func (d *dockerEnv) stop(id string) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := d.cli.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: ptr(0)}); err != nil {
		d.t.Fatalf("stop %s: %v", id, err)
	}
}

func ptr[T any](v T) *T { return &v }

func servesBody(body string) func(reply) bool {
	return func(r reply) bool { return r.status == http.StatusOK && strings.TrimSpace(r.body) == body }
}

// The whole life of a web link: start → reachable by host name; stopped but
// not yet reported → the 502 page; stop reported → the 404 page; started
// again (new address) → reachable again.
func TestContainerLinkLifecycle(t *testing.T) {
	e := newEnv(t)
	d := newDocker(t)
	id := d.httpd("web", "hello-from-web", 80)

	ip := d.start(id)
	ev := startEvent(id, "web", "alice", ip, 80)
	e.publish(ev)
	host := e.host("web--alice")
	_, took := e.waitGet(host, "/", 30*time.Second, "httpd answer", servesBody("hello-from-web"))
	t.Logf("app serving through the proxy %s after the start event", took)

	// The container dies; until the runner reports it, the route still
	// points at an address nobody answers on.
	d.stop(id)
	r, _ := e.waitGet(host, "/", 30*time.Second, "502 page", func(r reply) bool { return r.status == http.StatusBadGateway })
	if !isUnavailablePage(r) {
		t.Fatalf("stopped container: %d %s", r.status, clip(r.body))
	}
	noGoErrors(t, r)

	published := time.Now()
	e.publish(downEvent("die", ev))
	e.publish(downEvent("stop", ev))
	eventually(t, 30*time.Second, "route removed", func() bool { _, ok := e.svc.Routes.Load().Lookup("web--alice"); return !ok })
	t.Logf("route removed from the table %s after the stop events", time.Since(published))
	r = e.get(host, "/")
	if !isNotFoundPage(r) {
		t.Fatalf("stopped and reported: %d %s", r.status, clip(r.body))
	}
	noGoErrors(t, r)

	ip2 := d.start(id)
	ev2 := startEvent(id, "web", "alice", ip2, 80)
	published = time.Now()
	e.publish(ev2)
	eventually(t, 30*time.Second, "route back", func() bool { _, ok := e.svc.Routes.Load().Lookup("web--alice"); return ok })
	inTable := time.Since(published)
	_, took = e.waitGet(host, "/", 30*time.Second, "httpd answer after restart", servesBody("hello-from-web"))
	// When the address is the same, the host's neighbour entry for it, failed
	// while the container was down, can delay the first connection.
	t.Logf("started again: route in the table %s after the event, app serving %s later (address %s → %s)", inTable, took, ip, ip2)
}

// A container whose declared port is not the one it listens on: the 502
// page names the port and says what to check.
func TestContainerWrongPort(t *testing.T) {
	e := newEnv(t)
	d := newDocker(t)
	id := d.httpd("wrongport", "unused", 80)
	ip := d.start(id)
	e.publish(startEvent(id, "wrongport", "alice", ip, 8080))
	r, _ := e.waitGet(e.host("wrongport--alice"), "/", 30*time.Second, "502 page", func(r reply) bool { return r.status != http.StatusNotFound })
	if !isUnavailablePage(r) || !strings.Contains(r.body, "0.0.0.0:8080") {
		t.Fatalf("wrong port: %d %s", r.status, clip(r.body))
	}
	noGoErrors(t, r)
}

// A burst of 100 container starts: every one becomes routable, each to its
// own container. Times are measured and logged, never asserted: from the
// start event to the route in the table, and to the app serving through the
// proxy (which includes httpd's own start-up).
func TestBurstOf100ContainerStarts(t *testing.T) {
	const n = 100
	e := newEnv(t)
	d := newDocker(t)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = d.httpd(fmt.Sprintf("b%03d", i), fmt.Sprintf("burst-%03d", i), 80)
	}

	inTable := make([]time.Duration, n)
	serving := make([]time.Duration, n)
	var mu sync.Mutex
	var failures []string
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, fmt.Sprintf(format, args...))
	}
	// follow measures one container's route once its event is published.
	var pollers sync.WaitGroup
	follow := func(i int, published time.Time) {
		defer pollers.Done()
		label := fmt.Sprintf("b%03d--burst", i)
		want := fmt.Sprintf("burst-%03d", i)
		deadline := published.Add(2 * time.Minute)
		for {
			if r, ok := e.svc.Routes.Load().Lookup(label); ok && r.ContainerID == ids[i] {
				inTable[i] = time.Since(published)
				break
			}
			if time.Now().After(deadline) {
				fail("%s never entered the table", label)
				return
			}
			time.Sleep(time.Millisecond)
		}
		var last string
		for time.Now().Before(deadline) {
			req, _ := http.NewRequest(http.MethodGet, e.base+"/", nil)
			r, err := e.do(req, e.host(label))
			if err == nil && r.status == http.StatusOK && strings.TrimSpace(r.body) == want {
				serving[i] = time.Since(published)
				return
			}
			last = fmt.Sprintf("%d %q %v", r.status, clip(r.body), err)
			time.Sleep(5 * time.Millisecond)
		}
		fail("%s never served %q; last %s", label, want, last)
	}

	work := make(chan int)
	var workers sync.WaitGroup
	for w := 0; w < 8; w++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for i := range work {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				_, err := d.cli.ContainerStart(ctx, ids[i], client.ContainerStartOptions{})
				var ip string
				if err == nil {
					var res client.ContainerInspectResult
					res, err = d.cli.ContainerInspect(ctx, ids[i], client.ContainerInspectOptions{})
					if ep := res.Container.NetworkSettings.Networks[d.network]; err == nil && ep != nil {
						ip = ep.IPAddress.String()
					}
				}
				cancel()
				if err != nil || ip == "" {
					fail("container %d: %v (ip %q)", i, err, ip)
					continue
				}
				ev := startEvent(ids[i], fmt.Sprintf("b%03d", i), "burst", ip, 80)
				ev.Ports = []msg.PortSpec{{Container: 80}}
				if err := e.tryPublish(ev); err != nil {
					fail("container %d: %v", i, err)
					continue
				}
				pollers.Add(1)
				go follow(i, time.Now())
			}
		}()
	}
	began := time.Now()
	for i := range ids {
		work <- i
	}
	close(work)
	workers.Wait()
	t.Logf("%d containers started and their events published in %s", n, time.Since(began).Round(time.Millisecond))
	pollers.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d failures: %s", len(failures), strings.Join(failures, "; "))
	}
	if got := e.svc.Routes.Load().Len(); got < n {
		t.Fatalf("table has %d routes, want at least %d", got, n)
	}
	t.Logf("start event → route in table:  %s", percentiles(inTable))
	t.Logf("start event → app serving:     %s", percentiles(serving))
}

// percentiles formats p50/p90/max of ds.
func percentiles(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	r := func(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }
	return fmt.Sprintf("p50 %s, p90 %s, max %s (n=%d)", r(s[n/2]), r(s[n*9/10]), r(s[n-1]), n)
}
