// Command runner serves the platform's Docker commands (cmd.runner.>) against
// the local Docker engine and publishes container events.
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/logx"
	"github.com/dockeronline/platform/pkg/telemetry"
	"github.com/dockeronline/platform/services/runner/app"
)

func main() {
	cfg, err := app.LoadConfig(config.FromOS())
	if err != nil {
		slog.Error("bad configuration", "err", err)
		os.Exit(2)
	}
	log := logx.New("runner", cfg.LogLevel)
	limit, from := setMemoryLimit(cfg.MemoryLimitMB)
	log.Info("memory limit", "mb", limit>>20, "from", from)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	shutdown, err := telemetry.Setup(ctx, "runner")
	if err != nil {
		log.Error("telemetry", "err", err)
		os.Exit(1)
	}
	defer func() { _ = shutdown(context.Background()) }()
	if err := app.Run(ctx, cfg, log); err != nil {
		log.Error("runner stopped", "err", err)
		os.Exit(1)
	}
}
