// Package app wires the proxy: configuration, the route table with its
// feeder and watcher (package routes), the public edge (package edge), and
// the internal listener with health and metrics.
package app

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/health"
	"github.com/dockeronline/platform/pkg/lifecycle"
	"github.com/dockeronline/platform/pkg/metrics"
	"github.com/dockeronline/platform/services/proxy/edge"
)

// Run serves web links until ctx is done or a part fails.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	nc, err := nats.Connect(cfg.NATSURL, nats.Name("proxy"),
		nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Warn("nats disconnected", "err", err) }),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("nats reconnected", "url", c.ConnectedUrlRedacted()) }))
	if err != nil {
		return fmt.Errorf("nats %s: %w", cfg.NATSURL, err)
	}
	svc, err := New(cfg, nc, log)
	if err != nil {
		return err
	}
	if len(cfg.LinkSecret) == 0 {
		log.Warn("LINK_SECRET is not set: private links answer 'not available' until it is")
	}
	reg := metrics.NewRegistry("proxy")
	svc.Handler = edge.Metered(svc.Handler, svc.Routes, cfg.AppsDomain, reg)

	var g lifecycle.Group
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
		tlsCfg, err := edge.TLSConfig(cfg.TLSCertFile, cfg.TLSKeyFile)
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
