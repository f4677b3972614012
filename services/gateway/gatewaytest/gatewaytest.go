// Package gatewaytest starts the real gateway in-process for tests.
package gatewaytest

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"testing"
	"time"

	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/testenv"
	"github.com/dockeronline/platform/services/gateway/app"
)

// Start runs the gateway until the test ends and returns its base URL.
func Start(t testing.TB, natsURL, kratosPublicURL string, env ...map[string]string) string {
	t.Helper()
	base, _ := StartWithMetrics(t, natsURL, kratosPublicURL, env...)
	return base
}

// StartWithMetrics is Start that also returns the URL of the gateway's
// /metrics, on its own listener (METRICS_ADDR), not the public one.
func StartWithMetrics(t testing.TB, natsURL, kratosPublicURL string, env ...map[string]string) (base, metricsURL string) {
	t.Helper()
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	settings := map[string]string{
		"NATS_URL":          natsURL,
		"HTTP_ADDR":         "127.0.0.1:0",
		"METRICS_ADDR":      metricsAddr,
		"KRATOS_PUBLIC_URL": kratosPublicURL,
	}
	for _, m := range env { // the test's own settings (API_RATE_*, …)
		maps.Copy(settings, m)
	}
	cfg, err := app.LoadConfig(config.FromMap(settings))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan string, 1)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	go func() { done <- app.Run(ctx, cfg, log, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("gateway did not start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("gateway did not start within 30s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("gateway stopped with error: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("gateway did not stop within 30s")
		}
	})
	return "http://" + addr, "http://" + metricsAddr + "/metrics"
}
