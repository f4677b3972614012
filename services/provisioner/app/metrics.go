package app

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dockeronline/platform/pkg/metrics"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/provisioner/store"
)

var backlogDesc = prometheus.NewDesc(metrics.Namespace+"_provision_backlog",
	"Linux accounts not yet where their last event asked: pending (an attempt is due or running) or failed (waiting for a retry).",
	nil, nil)

// backlogCollector counts the backlog in the store when Prometheus
// scrapes: the table is the truth (every replica sees the same), and a
// counter kept in memory would be wrong after a restart.
func backlogCollector(st *store.Store) prometheus.Collector {
	return metrics.NewScraped(5*time.Second, 5*time.Second, func(ctx context.Context, emit metrics.Emit) error {
		accounts, err := st.List(ctx, nil)
		if err != nil {
			return err
		}
		n := 0
		for _, a := range accounts {
			if a.State == msg.ProvisionPending || a.State == msg.ProvisionFailed {
				n++
			}
		}
		emit(backlogDesc, float64(n))
		return nil
	}, backlogDesc)
}
