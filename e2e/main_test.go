package e2e

import (
	"context"
	"os"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/dockeronline/platform/pkg/telemetry"
)

// spans records every span of every in-process service of the run, so
// tests can check that one trace spans the gateway, the bus and the runner.
var spans = tracetest.NewSpanRecorder()

func TestMain(m *testing.M) {
	shutdown, err := telemetry.Setup(context.Background(), "e2e", spans)
	if err != nil {
		panic(err)
	}
	code := m.Run()
	_ = shutdown(context.Background())
	os.Exit(code)
}
