// Command provisioner gives every platform user a Linux account on the
// Docker host, over SSH: it consumes evt.user.created and evt.user.deleted,
// publishes evt.provision.*, and serves cmd.provisioner.status and
// cmd.provisioner.retry. See the README for its configuration.
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
	"github.com/dockeronline/platform/services/provisioner/app"
)

func main() {
	cfg, err := app.LoadConfig(config.FromOS())
	if err != nil {
		slog.Error("bad configuration", "err", err)
		os.Exit(2)
	}
	log := logx.New("provisioner", cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	shutdown, err := telemetry.Setup(ctx, "provisioner")
	if err != nil {
		log.Error("telemetry", "err", err)
		os.Exit(1)
	}
	defer func() { _ = shutdown(context.Background()) }()
	if err := app.Run(ctx, cfg, log); err != nil {
		log.Error("provisioner stopped", "err", err)
		os.Exit(1)
	}
}
