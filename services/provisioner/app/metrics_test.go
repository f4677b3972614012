package app_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/dockeronline/platform/pkg/metrics/metricstest"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/pkg/testenv"
	"github.com/dockeronline/platform/services/provisioner/provisionertest"
)

// The provisioner serves /metrics on its health listener: the backlog
// gauge, its command handlers' latency (the readiness probe's status
// command is one) and the runtime's metrics.
func TestMetricsAreServedOnTheHealthListener(t *testing.T) {
	srv := natstest.Server(t)
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	provisionertest.Start(t, srv.ClientURL(), testenv.Postgres(t), map[string]string{
		"PROVISION_ENABLED": "false", "HTTP_ADDR": addr,
	})
	handled := map[string]string{"service": "provisioner", "subject": subjects.ProvisionerStatus}
	var m metricstest.Families
	// The status command is counted once its reply is sent: poll.
	for end := time.Now().Add(deadline); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		m = metricstest.Scrape(t, "http://"+addr+"/metrics")
		if n, _ := m.Sum("dockeronline_nats_handler_duration_seconds", handled); n >= 1 {
			break
		}
	}
	if n, _ := m.Sum("dockeronline_nats_handler_duration_seconds", handled); n < 1 {
		t.Errorf("no %v observation; series %v", handled, m.Labels("dockeronline_nats_handler_duration_seconds"))
	}
	for _, name := range []string{"dockeronline_provision_backlog", "go_goroutines", "process_resident_memory_bytes"} {
		if _, ok := m.Sum(name, nil); !ok {
			t.Errorf("%s is not served", name)
		}
	}
}
