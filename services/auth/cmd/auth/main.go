// Command auth resolves Kratos sessions to platform users (cmd.auth.>).
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
	"github.com/dockeronline/platform/services/auth/app"
)

func main() {
	cfg, err := app.LoadConfig(config.FromOS())
	if err != nil {
		slog.Error("bad configuration", "err", err)
		os.Exit(2)
	}
	log := logx.New("auth", cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	shutdown, err := telemetry.Setup(ctx, "auth")
	if err != nil {
		log.Error("telemetry", "err", err)
		os.Exit(1)
	}
	defer func() { _ = shutdown(context.Background()) }()
	if err := app.Run(ctx, cfg, log); err != nil {
		log.Error("auth stopped", "err", err)
		os.Exit(1)
	}
}
