package e2e

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dockeronline/platform/e2e/stack"
	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/metrics/metricstest"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/otlptest"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/pkg/testenv"
	"github.com/dockeronline/platform/services/auth/authtest"
	"github.com/dockeronline/platform/services/gateway/gatewaytest"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// TestMetricsFollowTheAPI: after a user creates a container and a volume
// and lists their containers, the numbers Prometheus scrapes have moved —
// the gateway's requests by route pattern and status, the command
// handlers' latency in auth and the runner, and the runner's gauges of
// containers per user and state and of quota use, which agree with the
// usage the API itself reports. The create's latency carries its trace id
// as exemplar, and that trace is the one the collector received.
func TestMetricsFollowTheAPI(t *testing.T) {
	s, gatewayMetrics, authMetrics, runnerMetrics := startScrapable(t)
	u := s.Register(t, stack.UniqueName("mona"))

	if r := s.Call(t, u.Token, http.MethodPost, "/api/v1/containers", map[string]any{
		"name": "web", "image": s.Image, "cmd": []string{"sleep", "600"},
	}); r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	if r := s.Call(t, u.Token, http.MethodPost, "/api/v1/volumes", map[string]any{"name": "data"}); r.Status != http.StatusCreated {
		t.Fatalf("create volume: %d %s", r.Status, r.Body)
	}
	if r := s.Call(t, u.Token, http.MethodGet, "/api/v1/containers", nil); r.Status != http.StatusOK {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	if r := s.Call(t, u.Token, http.MethodGet, "/api/v1/containers/nosuch", nil); r.Status != http.StatusNotFound {
		t.Fatalf("get a missing container: %d %s", r.Status, r.Body)
	}
	var me struct {
		Usage struct {
			Used struct {
				Containers int     `json:"containers"`
				MemoryMB   int64   `json:"memory_mb"`
				CPUs       float64 `json:"cpus"`
				Volumes    int     `json:"volumes"`
			} `json:"used"`
		} `json:"usage"`
	}
	s.Call(t, u.Token, http.MethodGet, "/api/v1/me", nil).JSON(t, &me)
	used := me.Usage.Used
	if used.Containers != 1 || used.Volumes != 1 || used.MemoryMB <= 0 {
		t.Fatalf("the API reports usage %+v; want 1 container with a memory limit and 1 volume", used)
	}

	scrapes := []struct {
		service, url string
		wants        []metricWant
	}{
		{"gateway", gatewayMetrics, []metricWant{
			exactly("dockeronline_http_requests_total", 1, map[string]string{
				"service": "gateway", "route": "/api/v1/containers", "method": "POST", "code": "201"}),
			atLeast("dockeronline_http_requests_total", 1, map[string]string{
				"service": "gateway", "route": "/api/v1/containers", "method": "GET", "code": "200"}),
			// The route is the pattern: "nosuch" never becomes a label.
			exactly("dockeronline_http_requests_total", 1, map[string]string{
				"service": "gateway", "route": "/api/v1/containers/{name}", "method": "GET", "code": "404"}),
			atLeast("dockeronline_http_request_duration_seconds", 1, map[string]string{
				"service": "gateway", "route": "/api/v1/volumes", "method": "POST"}),
		}},
		{"auth", authMetrics, []metricWant{
			atLeast("dockeronline_nats_handler_duration_seconds", 5, map[string]string{
				"service": "auth", "subject": subjects.AuthSessionCheck, "outcome": "ok"}),
		}},
		{"runner", runnerMetrics, []metricWant{
			exactly("dockeronline_nats_handler_duration_seconds", 1, map[string]string{
				"service": "runner", "subject": subjects.RunnerRequestSubject(subjects.ContainerCreate), "outcome": "ok"}),
			atLeast("dockeronline_nats_handler_duration_seconds", 1, map[string]string{
				"service": "runner", "subject": subjects.RunnerRequestSubject(subjects.ContainerGet), "outcome": "not_found"}),
			exactly("dockeronline_containers", 1, map[string]string{"user": u.Username, "state": "running"}),
			exactly("dockeronline_quota_used", float64(used.Containers), map[string]string{"user": u.Username, "resource": "containers"}),
			exactly("dockeronline_quota_used", float64(used.MemoryMB), map[string]string{"user": u.Username, "resource": "memory_mb"}),
			exactly("dockeronline_quota_used", used.CPUs, map[string]string{"user": u.Username, "resource": "cpus"}),
			exactly("dockeronline_quota_used", float64(used.Volumes), map[string]string{"user": u.Username, "resource": "volumes"}),
			exactly("dockeronline_terminal_sessions", 0, nil),
		}},
	}
	for _, sc := range scrapes {
		t.Run(sc.service, func(t *testing.T) {
			// A handler's latency is recorded once its reply is sent and
			// Docker-read gauges are reused for a few seconds: poll.
			var m metricstest.Families
			var bad []string
			for end := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
				m = metricstest.Scrape(t, sc.url)
				bad = bad[:0]
				for _, w := range sc.wants {
					got, found := m.Sum(w.name, w.labels)
					if !w.met(got, found) {
						bad = append(bad, fmt.Sprintf("%s%v = %v (found: %v), want %s", w.name, w.labels, got, found, w))
					}
				}
				if len(bad) == 0 || time.Now().After(end) {
					break
				}
			}
			for _, b := range bad {
				t.Error(b)
			}
			if len(bad) > 0 {
				for _, w := range sc.wants {
					t.Logf("%s series: %v", w.name, m.Labels(w.name))
				}
			}
		})
	}
	t.Run("exemplar leads to the trace", func(t *testing.T) {
		tid := exemplarOf(t, gatewayMetrics, `route="/api/v1/containers"`, `method="POST"`)
		if _, ok := collector.Wait(time.Minute, func(all []otlptest.Span) bool {
			for _, sp := range all {
				if sp.TraceID == tid && sp.Name == "POST /api/v1/containers" && sp.ParentSpanID == "" {
					return true
				}
			}
			return false
		}); !ok {
			t.Errorf("the exemplar's trace %s never reached the collector with its POST /api/v1/containers span", tid)
		}
	})
}

// metricWant is what one scrape must show: the sum of the series of name
// whose labels include labels is value, or at least value.
type metricWant struct {
	name   string
	labels map[string]string
	value  float64
	orMore bool
}

func exactly(name string, v float64, labels map[string]string) metricWant {
	return metricWant{name: name, labels: labels, value: v}
}

func atLeast(name string, v float64, labels map[string]string) metricWant {
	return metricWant{name: name, labels: labels, value: v, orMore: true}
}

func (w metricWant) met(got float64, found bool) bool {
	return found && (got == w.value || w.orMore && got > w.value)
}

func (w metricWant) String() string {
	if w.orMore {
		return fmt.Sprintf("≥ %v", w.value)
	}
	return fmt.Sprint(w.value)
}

// startScrapable starts the platform as stack.Start does, with the health
// listeners of auth and the runner (where their /metrics is) on ports
// chosen here, and returns their /metrics URLs. The gateway serves its
// own on METRICS_ADDR, never on its public address.
func startScrapable(t *testing.T) (s *stack.Stack, gatewayMetrics, authMetrics, runnerMetrics string) {
	t.Helper()
	docker := dockertest.Client(t)
	img := dockertest.BusyboxImage(t, docker)
	srv := natstest.Server(t)
	dsn := testenv.Postgres(t)
	k := testenv.StartKratos(t, testenv.NewDatabase(t, dsn), testenv.WithDevMode())
	authAddr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	runnerAddr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	s = &stack.Stack{Kratos: k, NATSURL: srv.ClientURL(), Docker: docker, Image: img, Admin: stack.UniqueName("admin-")}
	authtest.Start(t, authtest.Options{
		NATSURL: s.NATSURL, DatabaseURL: dsn, HTTPAddr: authAddr,
		KratosPublicURL: k.PublicURL, KratosAdminURL: k.AdminURL, BootstrapAdmin: s.AdminEmail(),
	})
	runnertest.Start(t, s.NATSURL, map[string]string{"DATABASE_URL": testenv.NewDatabase(t, dsn), "HTTP_ADDR": runnerAddr})
	s.GatewayURL, gatewayMetrics = gatewaytest.StartWithMetrics(t, s.NATSURL, k.PublicURL)
	return s, gatewayMetrics, "http://" + authAddr + "/metrics", "http://" + runnerAddr + "/metrics"
}

// exemplarOf scrapes url in the OpenMetrics format (the only one that
// carries exemplars, and the one Prometheus asks for) and returns the
// trace id of an exemplar of the HTTP latency histogram on the series
// whose labels include every one of labels.
func exemplarOf(t *testing.T, url string, labels ...string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	exemplar := regexp.MustCompile(`# \{trace_id="([0-9a-f]{32})"\}`)
lines:
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, "dockeronline_http_request_duration_seconds_bucket{") {
			continue
		}
		for _, l := range labels {
			if !strings.Contains(line, l) {
				continue lines
			}
		}
		if m := exemplar.FindStringSubmatch(line); m != nil {
			return m[1]
		}
	}
	t.Fatalf("no exemplar on dockeronline_http_request_duration_seconds%v; content type %s", labels, res.Header.Get("Content-Type"))
	return ""
}
