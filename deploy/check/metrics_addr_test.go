package check

import (
	"fmt"
	"strings"
	"testing"
)

// TestGatewayMetricsOffThePublicListener: in both deployments the gateway
// serves /metrics on METRICS_ADDR, a port other than its public HTTP_ADDR,
// and Prometheus scrapes that port.
func TestGatewayMetricsOffThePublicListener(t *testing.T) {
	for _, c := range []struct{ deploy, prom, name string }{
		{"docker-compose.yml", "prometheus.yml", "gateway"},
		{"deploy/swarm/stack.yml", "prometheus-swarm.yml", "tasks.gateway"},
	} {
		env := mapAt(readYAML(t, repoPath(t, strings.Split(c.deploy, "/")...)), "services", "gateway", "environment")
		metricsAddr, httpAddr := str(env["METRICS_ADDR"]), str(env["HTTP_ADDR"])
		_, mport, _ := strings.Cut(metricsAddr, ":")
		_, hport, _ := strings.Cut(httpAddr, ":")
		if mport == "" || mport == hport {
			t.Errorf("%s: gateway METRICS_ADDR %q must be a port apart from HTTP_ADDR %q", c.deploy, metricsAddr, httpAddr)
		}
		found := false
		for _, sc := range listAt(readYAML(t, repoPath(t, "deploy", "prometheus", c.prom)), "scrape_configs") {
			if str(mapAt(sc)["job_name"]) != "gateway" {
				continue
			}
			for _, sd := range listAt(sc, "dns_sd_configs") {
				found = true
				if got := fmt.Sprint(mapAt(sd)["port"]); got != mport {
					t.Errorf("%s: gateway scraped on port %s, want METRICS_ADDR's %s", c.prom, got, mport)
				}
			}
		}
		if !found {
			t.Errorf("%s: no gateway scrape job with dns_sd_configs", c.prom)
		}
	}
}
