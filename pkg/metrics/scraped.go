package metrics

import (
	"context"
	"crypto/rand"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
)

// Emit hands one gauge value read at scrape time to the collector.
type Emit func(desc *prometheus.Desc, value float64, labelValues ...string)

// ReadFunc reads the current values from their source (Docker, a
// database) and emits them.
type ReadFunc func(ctx context.Context, emit Emit) error

// Scraped is a collector of gauges whose truth lives elsewhere: it reads
// them when Prometheus scrapes, so they are never stale by more than ttl
// and need no bookkeeping on the hot path. A read is reused for ttl, so
// several scrapers (two Prometheus replicas, a person with curl) cost the
// source one read; a failed read is reused too, so a source that is down
// is not hammered. A failed read leaves the collector's series out of the
// scrape (the service's /readyz says why).
type Scraped struct {
	descs   []*prometheus.Desc
	read    ReadFunc
	ttl     time.Duration
	timeout time.Duration
	now     func() time.Time

	mu      sync.Mutex
	readAt  time.Time
	metrics []prometheus.Metric
	err     error
}

// NewScraped returns a collector of descs read by read, reused for ttl,
// each read bounded by timeout.
func NewScraped(ttl, timeout time.Duration, read ReadFunc, descs ...*prometheus.Desc) *Scraped {
	return &Scraped{descs: descs, read: read, ttl: ttl, timeout: timeout, now: time.Now}
}

// Describe implements prometheus.Collector.
func (s *Scraped) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range s.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (s *Scraped) Collect(ch chan<- prometheus.Metric) {
	ms, err := s.current()
	if err != nil && len(s.descs) > 0 {
		ch <- prometheus.NewInvalidMetric(s.descs[0], err)
		return
	}
	for _, m := range ms {
		ch <- m
	}
}

// current returns the last read if younger than ttl, else reads anew.
// Scrapes that arrive during a read wait for it rather than read again.
func (s *Scraped) current() ([]prometheus.Metric, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.readAt.IsZero() && s.now().Sub(s.readAt) < s.ttl {
		return s.metrics, s.err
	}
	ctx, cancel := context.WithTimeout(untraced(context.Background()), s.timeout)
	defer cancel()
	var ms []prometheus.Metric
	err := s.read(ctx, func(desc *prometheus.Desc, v float64, lvs ...string) {
		m, err := prometheus.NewConstMetric(desc, prometheus.GaugeValue, v, lvs...)
		if err != nil {
			m = prometheus.NewInvalidMetric(desc, err)
		}
		ms = append(ms, m)
	})
	s.readAt, s.metrics, s.err = s.now(), ms, err
	return ms, err
}

// untraced gives ctx an unsampled parent span, so the source's client
// instrumentation (the Docker client's otelhttp transport) records nothing:
// with the SDK's parent-based sampler, a trace per scrape of every service
// would otherwise bury the traces of real requests.
func untraced(ctx context.Context) context.Context {
	var tid trace.TraceID
	var sid trace.SpanID
	_, _ = rand.Read(tid[:])
	_, _ = rand.Read(sid[:])
	return trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid}))
}
