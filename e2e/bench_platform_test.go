package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dcontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/e2e/stack"
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/telemetry"
)

// The platform benchmarks: each puts a path through the platform side by
// side with the limit it cannot beat, in one run on one machine.
// scripts/bench.sh (make bench) runs them and turns their output into the
// "Platform" section of docs/BENCHMARKS.md (e2e/benchreport). Alone:
//
//	go test ./e2e -run '^$' -bench 'BenchmarkContainerCreate$' -benchtime 1x
//	go test ./e2e -run '^$' -bench 'BenchmarkBusRoundTrip$' -benchtime 2s -count 3
//	go test ./e2e -run '^$' -bench 'BenchmarkContainerList$' -benchtime 1x
//
// ns/op is what the framework measured for BenchmarkBusRoundTrip, the mean
// of the interleaved samples for BenchmarkContainerCreate and one over
// wrk's requests/s for BenchmarkContainerList; p50-µs and p99-µs come from
// the same samples.

// BenchmarkContainerCreate creates and starts a busybox `sleep` container:
//
//   - platform: POST /api/v1/containers as a user with a warm session: the
//     gateway, NATS, the runner's policy, quota (a Postgres advisory lock
//     and a count from Docker), create, start and the inspect it answers
//     with;
//   - docker: ContainerCreate + ContainerStart straight to the Engine API,
//     with the limits, network and log settings the runner gave the
//     platform's container (copied from its inspect, so they stay equal).
//
// The two paths take turns, createRounds containers each, and each
// container is removed untimed before the next create (a user's quota, 4
// CPUs at 0.5 each, would stop a batch at eight). The sub-benchmarks
// report those samples (ns/op is their mean) whatever b.N: run it with
// -benchtime 1x.
func BenchmarkContainerCreate(b *testing.B) {
	productionTracing(b)
	s := stack.Start(b)
	u := s.Register(b, stack.UniqueName("bench"))
	ctx := context.Background()

	// A first create makes the user's network and shows what the runner
	// sends Docker; the docker path copies it.
	first := platformCreate(b, s, u.Token, "warmup")
	in, err := s.Docker.ContainerInspect(ctx, first, client.ContainerInspectOptions{})
	if err != nil {
		b.Fatal(err)
	}
	removeContainer(b, s.Docker, first)
	h := in.Container.HostConfig
	host := &dcontainer.HostConfig{
		NetworkMode:   h.NetworkMode,
		RestartPolicy: h.RestartPolicy,
		LogConfig:     h.LogConfig,
		SecurityOpt:   h.SecurityOpt,
		Resources: dcontainer.Resources{
			Memory: h.Memory, MemorySwap: h.MemorySwap, NanoCPUs: h.NanoCPUs, PidsLimit: h.PidsLimit,
		},
	}
	// No dockeronline.* labels: the runner's event follower ignores these.
	prefix := "dolbench-" + strings.ToLower(stack.UniqueName("c"))
	b.Cleanup(func() { removeLabelled(b, s.Docker, "dolbench="+prefix) })
	dockerCreate := func(name string) string {
		res, err := s.Docker.ContainerCreate(ctx, client.ContainerCreateOptions{
			Name: prefix + "-" + name,
			Config: &dcontainer.Config{
				Image: s.Image, Cmd: []string{"sleep", "3600"}, Hostname: name,
				Labels: map[string]string{"dolbench": prefix},
			},
			HostConfig: host,
		})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Docker.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
			b.Fatal(err)
		}
		return res.ID
	}
	removeContainer(b, s.Docker, dockerCreate("warmup"))

	// Interleaved, alternating which path goes first, so the shared
	// machine's changing load falls on both alike.
	paths := [2]func(i int) string{
		func(i int) string { return platformCreate(b, s, u.Token, fmt.Sprintf("p%d", i)) },
		func(i int) string { return dockerCreate(fmt.Sprintf("d%d", i)) },
	}
	var lat [2][]time.Duration
	for i := range createRounds {
		for k := range 2 {
			p := (i + k) % 2
			t0 := time.Now()
			id := paths[p](i)
			lat[p] = append(lat[p], time.Since(t0))
			removeContainer(b, s.Docker, id)
		}
	}
	for p, name := range []string{"platform", "docker"} {
		b.Run(name, func(b *testing.B) { reportSamples(b, lat[p]) })
	}
}

// createRounds is how many containers each path of BenchmarkContainerCreate
// creates: about a second a round on a quiet 2-core machine.
const createRounds = 20

// reportSamples reports latencies measured outside the framework's loop:
// their mean as ns/op, their count as samples, their p50 and p99.
func reportSamples(b *testing.B, lat []time.Duration) {
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	b.ReportMetric(float64(sum.Nanoseconds())/float64(len(lat)), "ns/op")
	b.ReportMetric(float64(len(lat)), "samples")
	reportPercentiles(b, lat)
}

func platformCreate(b *testing.B, s *stack.Stack, token, name string) string {
	r := s.Call(b, token, http.MethodPost, "/api/v1/containers", map[string]any{
		"name": name, "image": s.Image, "cmd": []string{"sleep", "3600"}})
	if r.Status != http.StatusCreated {
		b.Fatalf("create %s: %d %s", name, r.Status, r.Body)
	}
	var c msg.Container
	r.JSON(b, &c)
	return c.ID
}

func removeContainer(b *testing.B, cli *client.Client, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true}); err != nil {
		b.Fatalf("remove %s: %v", id, err)
	}
}

func removeLabelled(b *testing.B, cli *client.Client, label string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", label)})
	if err != nil {
		b.Errorf("list %s: %v", label, err)
		return
	}
	for _, c := range res.Items {
		_, _ = cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true})
	}
}

// benchCommand is a small command, the size of a typical container ref.
type benchCommand struct {
	Name  string `json:"name"`
	Owner string `json:"owner,omitempty"`
}

// BenchmarkBusRoundTrip sends one small command and waits for its reply,
// over an embedded NATS server, client and server on two connections as
// two services would be:
//
//   - bus: the platform's publisher (identity, trace context, deadline and
//     version in headers, a client span) to a go-kit subscriber behind
//     bus.Serve (strict decoding, identity and deadline restored, a server
//     span, a goroutine per message, the msg.Reply envelope);
//   - bare: nc.Request with the same payload to an nc.Subscribe responder
//     that answers with it.
//
// Spans are made as in production without an OTLP endpoint.
func BenchmarkBusRoundTrip(b *testing.B) {
	productionTracing(b)
	srv := natstest.Server(b)
	server, caller := natstest.Connect(b, srv), natstest.Connect(b, srv)
	payload, err := json.Marshal(benchCommand{Name: "web"})
	if err != nil {
		b.Fatal(err)
	}

	echo := func(_ context.Context, c benchCommand) (benchCommand, error) { return c, nil }
	if _, err := bus.Serve(server, "bench", 64, bus.Handlers{
		"bench.bus": bus.NewSubscriber[benchCommand](bus.Endpoint(echo)),
	}); err != nil {
		b.Fatal(err)
	}
	if _, err := server.Subscribe("bench.bare", func(m *nats.Msg) { _ = m.Respond(m.Data) }); err != nil {
		b.Fatal(err)
	}
	if err := server.Flush(); err != nil {
		b.Fatal(err)
	}

	b.Run("bus", func(b *testing.B) {
		ctx := identity.With(context.Background(), identity.Caller{UserID: "u-bench", Username: "bench", Role: identity.RoleUser})
		pub := bus.NewPublisher[benchCommand](caller, "bench.bus")
		timeRoundTrips(b, func() {
			r, err := pub.Do(ctx, benchCommand{Name: "web"})
			if err != nil || r.Error != nil || r.Data.Name != "web" {
				b.Fatalf("bus round trip: %v %v %+v", err, r.Error, r.Data)
			}
		})
	})
	b.Run("bare", func(b *testing.B) {
		timeRoundTrips(b, func() {
			m, err := caller.Request("bench.bare", payload, 5*time.Second)
			if err != nil || len(m.Data) != len(payload) {
				b.Fatalf("bare round trip: %v", err)
			}
		})
	})
}

// timeRoundTrips warms up, then times b.N calls and reports their p50 and
// p99 besides ns/op.
func timeRoundTrips(b *testing.B, call func()) {
	for range 200 {
		call()
	}
	var lat []time.Duration
	for b.Loop() { // b.Loop starts the timer after the warm-up
		t0 := time.Now()
		call()
		lat = append(lat, time.Since(t0))
	}
	reportPercentiles(b, lat)
}

// List load: wrk's threads and connections are the proxy benchmark's.
const (
	listConns    = 32
	listWarmup   = 2 * time.Second
	listDuration = 5 * time.Second
	listBoxes    = 2 // containers in the user's list
)

// BenchmarkContainerList loads an authenticated GET /api/v1/containers
// with wrk (Debian's package; a separate process, keep-alive, the bearer
// token in a plain header) and reports requests/s, p50 and p99:
//
//   - cached: AUTH_SESSION_CACHE_TTL=10s (the default): after the first
//     request the auth service answers the gateway's session check from
//     memory;
//   - uncached: AUTH_SESSION_CACHE_TTL=0s: every request's session is
//     checked with Kratos (HTTP, Kratos' Postgres).
//
// The gateway's per-user API rate limit (20 calls a second by default)
// would cap the one benchmark user, so it is raised out of reach; its
// bookkeeping still runs on every request. Either way each request goes gateway → NATS → auth, then gateway → NATS
// → runner → Docker's container list. Each sub-benchmark starts its own
// platform, since the TTL is the auth service's setting. One wrk run per
// sub-benchmark whatever b.N: run it with -benchtime 1x. ns/op is set to
// one over requests/s.
func BenchmarkContainerList(b *testing.B) {
	for _, c := range []struct{ name, ttl string }{{"cached", "10s"}, {"uncached", "0s"}} {
		b.Run(c.name, func(b *testing.B) {
			productionTracing(b)
			s := stack.StartWithSessionCacheTTL(b, c.ttl, unlimitedAPIRate)
			u := s.Register(b, stack.UniqueName("bench"))
			for i := range listBoxes { // Register's cleanup removes them
				platformCreate(b, s, u.Token, fmt.Sprintf("box%d", i))
			}
			url := s.GatewayURL + "/api/v1/containers"
			if r := s.Call(b, u.Token, http.MethodGet, "/api/v1/containers", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "box0") {
				b.Fatalf("list: %d %s", r.Status, r.Body)
			}
			runWrkList(b, url, u.Token, listWarmup)
			b.ResetTimer()
			res := runWrkList(b, url, u.Token, listDuration)
			b.StopTimer()
			// A few failed answers are reported with the numbers; more than
			// 1% would mean requests/s counts failures.
			if res.failed*100 > res.requests {
				b.Fatalf("wrk: %d of %d requests failed: %s", res.failed, res.requests, res.errors)
			}
			b.ReportMetric(1e9/res.rps, "ns/op")
			b.ReportMetric(res.rps, "req/s")
			b.ReportMetric(float64(res.p50.Microseconds()), "p50-µs")
			b.ReportMetric(float64(res.p99.Microseconds()), "p99-µs")
			b.ReportMetric(float64(res.requests), "requests")
			b.ReportMetric(float64(res.failed), "failed")
			if res.failed > 0 {
				b.Logf("wrk: %s", res.errors)
			}
		})
	}
}

// unlimitedAPIRate lifts the gateway's per-user limit for the gateway the
// benchmark starts: it measures the platform, not the limiter.
var unlimitedAPIRate = map[string]string{"API_RATE_PER_SECOND": "1e9", "API_RATE_BURST": "1000000000"}

type wrkList struct {
	rps              float64
	p50, p99         time.Duration
	requests, failed int
	errors           string // wrk's lines about them
}

var (
	wrkRPS    = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkPct    = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s|m)\s*$`)
	wrkTotal  = regexp.MustCompile(`(\d+) requests in`)
	wrkErrors = regexp.MustCompile(`(?m)^\s+(Socket errors:.*|Non-2xx or 3xx responses:.*)$`)
	wrkCounts = regexp.MustCompile(`\d+`)
	wrkUnits  = map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "m": time.Minute}
)

// runWrkList runs wrk for d and parses its summary.
func runWrkList(b *testing.B, url, token string, d time.Duration) wrkList {
	out, err := exec.Command("wrk", "-t2", "-c"+strconv.Itoa(listConns), "-d"+strconv.Itoa(int(d.Seconds()))+"s",
		"--latency", "--timeout", "5s",
		"-H", "Authorization: Bearer "+token, "-H", "Accept: application/json", url).CombinedOutput()
	if err != nil {
		b.Fatalf("wrk (make deps installs it): %v\n%s", err, out)
	}
	var r wrkList
	m := wrkRPS.FindSubmatch(out)
	if m == nil {
		b.Fatalf("wrk printed no Requests/sec:\n%s", out)
	}
	r.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	for _, m := range wrkPct.FindAllSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(string(m[2]), 64)
		d := time.Duration(v * float64(wrkUnits[string(m[3])]))
		if string(m[1]) == "50" {
			r.p50 = d
		} else {
			r.p99 = d
		}
	}
	if m := wrkTotal.FindSubmatch(out); m != nil {
		r.requests, _ = strconv.Atoi(string(m[1]))
	}
	var errs []string
	for _, m := range wrkErrors.FindAllSubmatch(out, -1) {
		line := strings.TrimSpace(string(m[1]))
		errs = append(errs, line)
		_, counts, _ := strings.Cut(line, ":") // "Non-2xx" has digits too
		for _, n := range wrkCounts.FindAllString(counts, -1) {
			v, _ := strconv.Atoi(n)
			r.failed += v
		}
	}
	r.errors = strings.Join(errs, "; ")
	return r
}

// reportPercentiles adds the p50 and p99 of lat to the benchmark's result.
func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// productionTracing installs, once, the tracer provider a service installs
// (pkg/telemetry: spans always made, exported only when an OTLP endpoint is
// set) in place of TestMain's recorder, which keeps every span in memory
// and would grow by hundreds of thousands of spans under load. It stays
// for the rest of the run: benchmarks run after every test, and the trace
// tests read the recorder only in their own run.
func productionTracing(b *testing.B) {
	tracingOnce.Do(func() {
		if _, err := telemetry.Setup(context.Background(), "e2e-bench"); err != nil {
			b.Fatal(err)
		}
	})
}

var tracingOnce sync.Once
