// Command proxy serves the platform's web links. Configuration: see
// services/proxy/README.md.
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
	"github.com/dockeronline/platform/services/proxy/app"
)

func main() {
	cfg, err := app.LoadConfig(config.FromOS())
	if err != nil {
		slog.Error("bad configuration", "err", err)
		os.Exit(2)
	}
	log := logx.New("proxy", cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	shutdown, err := telemetry.Setup(ctx, "proxy")
	if err != nil {
		log.Error("telemetry", "err", err)
		os.Exit(1)
	}
	defer func() { _ = shutdown(context.Background()) }()
	if err := app.Run(ctx, cfg, log); err != nil {
		log.Error("proxy stopped", "err", err)
		os.Exit(1)
	}
}
