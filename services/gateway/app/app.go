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
)

// Run serves until ctx ends. If ready is not nil it receives the address
// the gateway listens on once it serves (tests use HTTP_ADDR=…:0).
func Run(ctx context.Context, cfg Config, log *slog.Logger, ready chan<- string) error {
	nc, err := nats.Connect(cfg.NATSURL, nats.Name("gateway"), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true))
	if err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	h, err := Router(cfg, nc, health.Checks{"nats": health.NATS(nc)}, log)
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
	g.AddNATS(nc)
	log.Info("gateway serving", "http", ln.Addr().String(), "nats", cfg.NATSURL)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	return g.Run()
}
