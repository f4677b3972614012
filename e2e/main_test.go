package e2e

import (
	"context"
	"os"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/dockeronline/platform/pkg/otlptest"
	"github.com/dockeronline/platform/pkg/telemetry"
)

// spans records every span of every in-process service of the run, so
// tests can check that one trace spans the gateway, the bus and the runner.
var spans = tracetest.NewSpanRecorder()

// collector receives the same spans over the wire: the services' OTLP/HTTP
// exporter, set up from the environment as their mains set it up in
// production, posts them to it as it would to the OpenTelemetry collector
// (otlp_test.go).
var collector *otlptest.Receiver

func TestMain(m *testing.M) {
	collector = otlptest.New()
	// Read by telemetry.Setup's exporter and batcher when they are made,
	// then unset: the child processes (Kratos) must not export anywhere.
	os.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	os.Setenv("OTEL_BSP_SCHEDULE_DELAY", "200") // ms; export promptly, not every 5 s
	// The in-process services share this one provider: ServiceProcessor
	// stamps each span with the service it was made in.
	shutdown, err := telemetry.Setup(context.Background(), "e2e", telemetry.ServiceProcessor(), spans)
	os.Unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT")
	os.Unsetenv("OTEL_BSP_SCHEDULE_DELAY")
	if err != nil {
		panic(err)
	}
	code := m.Run()
	_ = shutdown(context.Background())
	collector.Close()
	os.Exit(code)
}
