// Package bench compares, in one run on this machine: requests straight to
// a container, through this proxy, and through nginx with an equivalent
// configuration (wrk, requests/s and p50/p99 latency), plus the time from a
// container start to its route being live. It writes the results to
// docs/BENCHMARKS.md between <!-- proxy:begin --> and <!-- proxy:end -->.
//
// Run: scripts/bench-proxy.sh (or make bench), which is
//
//	go test ./bench -run '^$' -bench BenchmarkProxy -benchtime 1x
//
// Needs Docker, Debian's wrk and nginx, /bin/busybox (busybox-static).
package bench

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/pkg/telemetry"
	"github.com/dockeronline/platform/services/proxy/app"
)

const (
	domain      = "apps.localhost"
	user        = "bench"
	backendTag  = "dockeronline-bench/backend:latest"
	wrkDuration = 3 * time.Second
	wrkRounds   = 3
	wrkConns    = 32
	startRounds = 20
)

var once sync.Once

func BenchmarkProxy(b *testing.B) {
	once.Do(func() { run(b) }) // one measured run, whatever b.N
}

type rig struct {
	tb      testing.TB
	cli     *client.Client
	js      jetstream.JetStream
	svc     *app.Service
	addr    string // the proxy's listener
	network string
	prefix  string
}

func run(b *testing.B) {
	began := time.Now()
	r := newRig(b)

	// The apps: busybox httpd (what most users run; closes every connection)
	// and a keep-alive Go server.
	busyID, busyIP := r.container("httpd", dockertest.BusyboxImage(b, r.cli), 80,
		[]string{"sh", "-c", `mkdir -p /www && head -c 512 /dev/zero | tr '\0' x > /www/index.html && exec httpd -f -p 80 -h /www`})
	kaID, kaIP := r.container("keepalive", r.backendImage(), 8080, nil)
	r.route(busyID, "httpd", busyIP, 80)
	r.route(kaID, "keepalive", kaIP, 8080)

	nginxAddr := freeAddr(b)
	_, proxyPort, _ := net.SplitHostPort(r.addr)
	_, nginxPort, _ := net.SplitHostPort(nginxAddr)
	startNginx(b, nginxAddr, map[string]string{
		"httpd--" + user + "." + domain:     net.JoinHostPort(busyIP, "80"),
		"keepalive--" + user + "." + domain: net.JoinHostPort(kaIP, "8080"),
	})

	type target struct{ app, path, url, host string }
	var targets []target
	for _, app := range []struct {
		name, label, direct string
	}{
		{"busybox httpd (no keep-alive)", "httpd--" + user, "http://" + net.JoinHostPort(busyIP, "80") + "/"},
		{"Go server (keep-alive)", "keepalive--" + user, "http://" + net.JoinHostPort(kaIP, "8080") + "/"},
	} {
		targets = append(targets,
			target{app.name, "direct to the container", app.direct, ""},
			target{app.name, "through this proxy", "http://127.0.0.1:" + proxyPort + "/", app.label + "." + domain + ":" + proxyPort},
			target{app.name, "through nginx", "http://127.0.0.1:" + nginxPort + "/", app.label + "." + domain + ":" + nginxPort},
		)
	}
	loadBefore := loadAvg()
	for _, tg := range targets {
		r.expectOK(tg.url, tg.host)
		runWrk(b, tg.url, tg.host, time.Second, wrkConns) // warm-up
	}
	// Rounds interleave the targets, so a burst of other load on the machine
	// hits all of them alike; the table shows the median round.
	results := make([][]wrkResult, len(targets))
	for round := 0; round < wrkRounds; round++ {
		for i, tg := range targets {
			res := runWrk(b, tg.url, tg.host, wrkDuration, wrkConns)
			b.Logf("round %d  %-30s %-24s %9.0f req/s  p50 %-9s p99 %-9s %s", round+1, tg.app, tg.path, res.RPS, fmtDur(res.P50), fmtDur(res.P99), res.Errors)
			results[i] = append(results[i], res)
		}
	}
	loadAfter := loadAvg()

	startDocker, eventToTable, startToServing := r.startToLive(startRounds)

	var md bytes.Buffer
	fmt.Fprintf(&md, "Measured by `scripts/bench-proxy.sh` (`services/proxy/bench`) on %s: %s, %d CPUs, %s, %s, %s, Docker %s.\n",
		time.Now().UTC().Format("2006-01-02"), cpuModel(), runtime.NumCPU(), runtime.Version(), toolVersion("nginx", "-v"), toolVersion("wrk", "-v"), r.dockerVersion())
	md.WriteString("Everything runs on this one machine, over loopback and the Docker bridge, so wrk, the proxy, nginx and the app share the same cores. ")
	fmt.Fprintf(&md, "wrk `-t2 -c%d -d%s --latency`, %d rounds interleaving the targets after a 1 s warm-up each; the table shows the median round (its p50 and p99) and the range of requests/s over the rounds. ", wrkConns, wrkDuration, wrkRounds)
	md.WriteString("The proxy runs in the benchmark process with its production code and default settings; ")
	md.WriteString("nginx (Debian's package, `worker_processes auto`) has the equivalent configuration: route by Host through a `map`, HTTP/1.1 keep-alive to the app, ")
	md.WriteString("Host kept, `X-Forwarded-*` set, no response buffering, no access log. Each response is a ~550-byte page. ")
	md.WriteString("busybox httpd closes every connection, so each proxied request opens a new one to the app.\n\n")
	fmt.Fprintf(&md, "Load average (1 min) before the wrk runs: %s, after: %s. On a shared machine compare the rows of one run, not runs.\n\n", loadBefore, loadAfter)
	md.WriteString("| app | path | requests/s (median) | range over rounds | p50 | p99 | errors |\n|---|---|---:|---:|---:|---:|---|\n")
	for i, tg := range targets {
		med, lo, hi, errs := summarize(results[i])
		fmt.Fprintf(&md, "| %s | %s | %.0f | %.0f–%.0f | %s | %s | %s |\n", tg.app, tg.path, med.RPS, lo, hi, fmtDur(med.P50), fmtDur(med.P99), errs)
	}
	fmt.Fprintf(&md, "\nContainer start to route live, %d busybox httpd containers started one after another "+
		"(the benchmark plays the runner: start, inspect the address, publish `evt.container.start`):\n\n", startRounds)
	md.WriteString("| interval | p50 | p95 | max |\n|---|---:|---:|---:|\n")
	for _, s := range []struct {
		name string
		ds   []time.Duration
	}{
		{"Docker start + inspect + publish (the runner's part)", startDocker},
		{"event published → route in the proxy's table", eventToTable},
		{"start requested → first 200 through the proxy", startToServing},
	} {
		p50, p95, mx := pct(s.ds)
		fmt.Fprintf(&md, "| %s | %s | %s | %s |\n", s.name, fmtDur(p50), fmtDur(p95), fmtDur(mx))
	}
	fmt.Fprintf(&md, "\nWhole run: %s.\n", time.Since(began).Round(time.Second))
	fmt.Println(md.String())
	if path := os.Getenv("BENCH_MARKDOWN"); path != "" {
		if err := writeSection(path, md.String()); err != nil {
			b.Fatal(err)
		}
		b.Logf("wrote %s", path)
	}
}

func newRig(tb testing.TB) *rig {
	ns := natstest.Server(tb)
	nc := natstest.Connect(tb, ns)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	cfg, err := app.LoadConfig(config.FromMap(map[string]string{"APPS_DOMAIN": domain, "TRACE_REQUESTS": os.Getenv("TRACE_REQUESTS")}))
	if err != nil {
		tb.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil)) // 502s while apps boot are expected
	// As in production: the SDK tracer provider (exporting only when
	// OTEL_EXPORTER_OTLP_ENDPOINT is set); request spans follow TRACE_REQUESTS.
	stopTelemetry, err := telemetry.Setup(context.Background(), "proxy-bench")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = stopTelemetry(context.Background()) })
	svc, err := app.New(cfg, nc, log)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := bus.EnsureEventsStream(context.Background(), js); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, fn := range []func(context.Context) error{svc.Feeder.Run, svc.Watcher.Run} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = fn(ctx) }()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := svc.PublicServer(nil)
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Close(); cancel(); wg.Wait() })

	cli := dockertest.Client(tb)
	r := &rig{tb: tb, cli: cli, js: js, svc: svc, addr: ln.Addr().String(), prefix: fmt.Sprintf("dolbench-%d", time.Now().UnixNano()%100000)}
	r.network = r.prefix + "-net"
	if _, err := cli.NetworkCreate(context.Background(), r.network, client.NetworkCreateOptions{Driver: "bridge", Labels: map[string]string{"dockeronline.test": "proxy-bench"}}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _, _ = cli.NetworkRemove(context.Background(), r.network, client.NetworkRemoveOptions{}) })
	for !svc.Routes.Loaded() {
		time.Sleep(5 * time.Millisecond)
	}
	return r
}

// backendImage builds the keep-alive Go server into a FROM scratch image.
func (r *rig) backendImage() string {
	dir := r.tb.TempDir()
	bin := filepath.Join(dir, "backend")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./backend")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		r.tb.Fatalf("build backend: %v\n%s", err, out)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		r.tb.Fatal(err)
	}
	dockertest.BuildImage(r.tb, r.cli, backendTag, map[string][]byte{
		"Dockerfile": []byte("FROM scratch\nCOPY backend /backend\nENTRYPOINT [\"/backend\"]\n"),
		"backend":    b,
	})
	return backendTag
}

// create makes a container on the bench network (removed at the end).
func (r *rig) create(name, image string, cmd []string) string {
	return r.createWith(name, image, cmd, &container.HostConfig{Resources: container.Resources{Memory: 64 << 20}})
}

// createWith is create with the host config h (its network is the bench's).
func (r *rig) createWith(name, image string, cmd []string, h *container.HostConfig) string {
	h.NetworkMode = container.NetworkMode(r.network)
	res, err := r.cli.ContainerCreate(context.Background(), client.ContainerCreateOptions{
		Name:       r.prefix + "-" + name,
		Config:     &container.Config{Image: image, Cmd: cmd, Labels: map[string]string{"dockeronline.test": "proxy-bench"}},
		HostConfig: h,
	})
	if err != nil {
		r.tb.Fatalf("create %s: %v", name, err)
	}
	r.tb.Cleanup(func() {
		_, _ = r.cli.ContainerRemove(context.Background(), res.ID, client.ContainerRemoveOptions{Force: true})
	})
	return res.ID
}

func (r *rig) start(id string) string {
	ctx := context.Background()
	if _, err := r.cli.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		r.tb.Fatalf("start: %v", err)
	}
	res, err := r.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		r.tb.Fatal(err)
	}
	return res.Container.NetworkSettings.Networks[r.network].IPAddress.String()
}

func (r *rig) container(name, image string, port int, cmd []string) (string, string) {
	id := r.create(name, image, cmd)
	ip := r.start(id)
	if !waitListening(net.JoinHostPort(ip, strconv.Itoa(port)), 30*time.Second) {
		r.tb.Fatalf("%s does not listen on %d", name, port)
	}
	return id, ip
}

// route publishes the start event the runner would and waits for the route.
func (r *rig) route(id, name, ip string, port int) {
	r.publish(id, name, ip, port)
	for {
		if _, ok := r.svc.Routes.Load().Lookup(name + "--" + user); ok {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func (r *rig) publish(id, name, ip string, port int) {
	ev := msg.ContainerEvent{
		EventID: fmt.Sprintf("%s-start-%d", id, time.Now().UnixNano()), Action: "start", ID: id, Name: name,
		Owner: "uid-" + user, Username: user, State: "running", IP: ip,
		Ports: []msg.PortSpec{{Container: port}}, Time: time.Now(), DockerName: user + "--" + name,
	}
	if err := bus.PublishEvent(context.Background(), r.js, subjects.ContainerEvent("start"), ev.EventID, ev); err != nil {
		r.tb.Fatal(err)
	}
}

var plain = &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 5 * time.Second}

func get(url, host string) (int, error) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if host != "" {
		req.Host = host
	}
	res, err := plain.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}

func (r *rig) expectOK(url, host string) {
	if code, err := get(url, host); err != nil || code != http.StatusOK {
		r.tb.Fatalf("GET %s (Host %s): %d %v", url, host, code, err)
	}
}

// startToLive starts n busybox httpd containers one after another and times
// each step to the first 200 through the proxy.
func (r *rig) startToLive(n int) (docker, toTable, toServing []time.Duration) {
	image := dockertest.BusyboxImage(r.tb, r.cli)
	_, proxyPort, _ := net.SplitHostPort(r.addr)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("s%02d", i)
		id := r.create(name, image, []string{"sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 80 -h /www"})
		label := name + "--" + user
		t0 := time.Now()
		ip := r.start(id)
		r.publish(id, name, ip, 80)
		t1 := time.Now()
		for {
			if _, ok := r.svc.Routes.Load().Lookup(label); ok {
				break
			}
			time.Sleep(100 * time.Microsecond)
		}
		t2 := time.Now()
		deadline := t2.Add(30 * time.Second)
		for {
			if code, err := get("http://127.0.0.1:"+proxyPort+"/", label+"."+domain+":"+proxyPort); err == nil && code == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				r.tb.Fatalf("%s never served", label)
			}
			time.Sleep(time.Millisecond)
		}
		t3 := time.Now()
		docker, toTable, toServing = append(docker, t1.Sub(t0)), append(toTable, t2.Sub(t1)), append(toServing, t3.Sub(t0))
	}
	return docker, toTable, toServing
}

// summarize picks the median round by requests/s, the range, and any errors.
func summarize(rs []wrkResult) (med wrkResult, lo, hi float64, errs string) {
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b wrkResult) int { return cmp.Compare(a.RPS, b.RPS) })
	var es []string
	for _, r := range rs {
		if r.Errors != "" {
			es = append(es, r.Errors)
		}
	}
	if len(es) == 0 {
		es = []string{"none"}
	}
	return s[len(s)/2], s[0].RPS, s[len(s)-1].RPS, strings.Join(slices.Compact(es), "; ")
}

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}

func pct(ds []time.Duration) (p50, p95, max time.Duration) {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	return s[n/2], s[min(n-1, n*95/100)], s[n-1]
}

func (r *rig) dockerVersion() string {
	v, err := r.cli.ServerVersion(context.Background(), client.ServerVersionOptions{})
	if err != nil {
		return "?"
	}
	return v.Version
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func toolVersion(bin string, arg string) string {
	out, _ := exec.Command(bin, arg).CombinedOutput()
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	line = strings.TrimPrefix(line, "nginx version: ")
	if f := strings.Fields(line); bin == "wrk" && len(f) >= 2 {
		return "wrk " + f[1]
	}
	return line
}
