// Command auth resolves Kratos sessions to platform users (cmd.auth.>).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/logx"
	"github.com/dockeronline/platform/pkg/telemetry"
	"github.com/dockeronline/platform/services/auth/app"
	"github.com/dockeronline/platform/services/auth/signup"
)

func main() {
	// "auth kratos-env <auth URL>" prints the environment that points
	// Kratos' registration hook at this service (scripts/env.sh uses it).
	if len(os.Args) == 3 && os.Args[1] == "kratos-env" {
		env := signup.KratosEnv(os.Args[2])
		for _, k := range slices.Sorted(maps.Keys(env)) {
			fmt.Printf("%s=%s\n", k, env[k])
		}
		return
	}
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
