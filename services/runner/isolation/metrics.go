package isolation

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dockeronline/platform/pkg/metrics"
)

var droppedDesc = prometheus.NewDesc(metrics.Namespace+"_firewall_dropped_packets",
	"Packets the tenant firewall dropped since its table was installed, by chain: forward (between a platform bridge and another bridge), input (from a platform bridge to the host). A rise is a container probing what it may not reach.",
	[]string{"chain"}, nil)

// Collector reports the firewall's drop counters when Prometheus scrapes.
func (f *Firewall) Collector() prometheus.Collector {
	return metrics.NewScraped(5*time.Second, 10*time.Second, func(ctx context.Context, emit metrics.Emit) error {
		fwd, in, err := f.Drops(ctx)
		if err != nil {
			return err
		}
		emit(droppedDesc, float64(fwd), "forward")
		emit(droppedDesc, float64(in), "input")
		return nil
	}, droppedDesc)
}
