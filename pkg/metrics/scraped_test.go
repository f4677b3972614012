package metrics

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/dockeronline/platform/pkg/metrics/metricstest"
)

// A scraped collector reads its source once per TTL whatever the number of
// scrapes, serves what it read, and when the source fails leaves its
// series out while the rest of the registry is still served. Its reads
// leave no trace behind (a trace per scrape would bury real ones).
func TestScrapedReadsOncePerTTL(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)) // parent-based, as telemetry.Setup's
	desc := prometheus.NewDesc("dockeronline_test_things", "Things.", []string{"kind"}, nil)
	var reads int
	var fail error
	s := NewScraped(15*time.Second, time.Second, func(ctx context.Context, emit Emit) error {
		reads++
		_, span := tp.Tracer("source").Start(ctx, "read the source")
		span.End()
		if fail != nil {
			return fail
		}
		emit(desc, float64(reads), "a")
		emit(desc, 10, "b")
		return nil
	}, desc)
	now := time.Unix(1_000_000, 0)
	s.now = func() time.Time { return now }
	reg := NewRegistry("svc")
	reg.MustRegister(s)
	srv := httptest.NewServer(reg.Handler())
	defer srv.Close()

	steps := []struct {
		name      string
		advance   time.Duration
		fail      error
		wantReads int
		wantA     float64 // -1: the series must be absent
	}{
		{"first scrape reads", 0, nil, 1, 1},
		{"within the TTL reuses", 5 * time.Second, nil, 1, 1},
		{"again within the TTL", 9 * time.Second, nil, 1, 1},
		{"after the TTL reads again", 2 * time.Second, nil, 2, 2},
		{"a failed read leaves the series out", 15 * time.Second, errors.New("docker is down"), 3, -1},
		{"the failure is reused too", time.Second, nil, 3, -1},
		{"recovers at the next read", 15 * time.Second, nil, 4, 4},
	}
	for _, st := range steps {
		now = now.Add(st.advance)
		fail = st.fail
		res, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		m, err := metricstest.Parse(res.Body)
		res.Body.Close()
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", st.name, res.StatusCode)
		}
		if reads != st.wantReads {
			t.Errorf("%s: %d reads, want %d", st.name, reads, st.wantReads)
		}
		a, ok := m.Sum("dockeronline_test_things", map[string]string{"kind": "a"})
		switch {
		case st.wantA < 0 && ok:
			t.Errorf("%s: series present (%v) after a failed read", st.name, a)
		case st.wantA >= 0 && a != st.wantA:
			t.Errorf("%s: kind a = %v, want %v", st.name, a, st.wantA)
		}
		if _, ok := m.Sum("go_goroutines", nil); !ok {
			t.Errorf("%s: the rest of the registry is not served", st.name)
		}
	}
	if n := len(rec.Ended()); n != 0 {
		t.Errorf("scrape-time reads recorded %d spans, want 0", n)
	}
}
