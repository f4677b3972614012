// Command proxy serves the platform's web links. Configuration: see
// services/proxy/README.md.
package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/health"
	"github.com/dockeronline/platform/pkg/lifecycle"
	"github.com/dockeronline/platform/pkg/logx"
	"github.com/dockeronline/platform/pkg/metrics"
	"github.com/dockeronline/platform/pkg/telemetry"
	"github.com/dockeronline/platform/services/proxy"
)

func main() {
	if err := run(); err != nil {
		slog.Error("proxy stopped", "err", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := proxy.LoadConfig(config.FromOS())
	if err != nil {
		return err
	}
	log := logx.New("proxy", cfg.LogLevel)
	ctx := context.Background()

	stopTelemetry, err := telemetry.Setup(ctx, "proxy")
	if err != nil {
		return fmt.Errorf("telemetry: %w", err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = stopTelemetry(ctx)
	}()

	nc, err := nats.Connect(cfg.NATSURL, nats.Name("proxy"),
		nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Warn("nats disconnected", "err", err) }),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("nats reconnected", "url", c.ConnectedUrlRedacted()) }))
	if err != nil {
		return fmt.Errorf("nats %s: %w", cfg.NATSURL, err)
	}
	svc, err := proxy.New(cfg, nc, log)
	if err != nil {
		return err
	}
	if len(cfg.LinkSecret) == 0 {
		log.Warn("LINK_SECRET is not set: private links answer 'not available' until it is")
	}
	reg := metrics.NewRegistry("proxy")
	svc.Handler = proxy.Metered(svc.Handler, svc.Routes, cfg.AppsDomain, reg)

	var g lifecycle.Group
	g.AddSignals(ctx)
	g.AddNATS(nc)
	g.AddContext(ctx, svc.Feeder.Run)
	g.AddContext(ctx, svc.Watcher.Run)

	public, err := net.Listen("tcp", cfg.ProxyAddr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.ProxyAddr, err)
	}
	g.AddHTTP(svc.PublicServer(nil), public)
	log.Info("serving web links", "addr", public.Addr().String(), "apps_domain", cfg.AppsDomain)

	if cfg.TLSEnabled() {
		tlsCfg, err := proxy.TLSConfig(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", cfg.TLSAddr)
		if err != nil {
			return fmt.Errorf("listen %s: %w", cfg.TLSAddr, err)
		}
		g.AddHTTP(svc.PublicServer(tlsCfg), tls.NewListener(ln, tlsCfg))
		log.Info("serving web links over HTTPS", "addr", ln.Addr().String())
	}

	internal, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.HTTPAddr, err)
	}
	mux := health.Handler(svc.Checks())
	reg.Mount(mux)
	g.AddHTTP(&http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}, internal)
	log.Info("health on", "addr", internal.Addr().String())

	return g.Run()
}
