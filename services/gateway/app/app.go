package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/health"
	"github.com/dockeronline/platform/pkg/lifecycle"
	"github.com/dockeronline/platform/pkg/metrics"
)

// Run serves until ctx ends. If ready is not nil it receives the address
// the gateway listens on once it serves (tests use HTTP_ADDR=…:0).
func Run(ctx context.Context, cfg Config, log *slog.Logger, ready chan<- string) error {
	nc, err := nats.Connect(cfg.NATSURL, nats.Name("gateway"), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true))
	if err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	reg := metrics.NewRegistry("gateway")
	h, err := Router(cfg, nc, health.Checks{"nats": health.NATS(nc)}, reg, log)
	if err != nil {
		nc.Close()
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		nc.Close()
		return fmt.Errorf("listen %s: %w", cfg.HTTPAddr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}

	var g lifecycle.Group
	g.AddContext(ctx, func(ctx context.Context) error { <-ctx.Done(); return nil })
	g.AddHTTP(srv, ln)
	if cfg.MetricsAddr != "" {
		// /metrics on its own listener: the public one answers it 404.
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			nc.Close()
			return fmt.Errorf("listen METRICS_ADDR %s: %w", cfg.MetricsAddr, err)
		}
		mux := http.NewServeMux()
		reg.Mount(mux)
		g.AddHTTP(&http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}, mln)
		log.Info("metrics on", "addr", mln.Addr().String())
	}
	g.AddNATS(nc)
	log.Info("gateway serving", "http", ln.Addr().String(), "nats", cfg.NATSURL)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	return g.Run()
}
