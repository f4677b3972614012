// Package proxy is the platform's web-link proxy: it serves
// http://<container>--<user>.<apps domain> for every running container that
// declares a port, from a route table that follows container events through
// a JetStream KV bucket. See README.md.
package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/health"
)

// Service is the proxy assembled: its actors (Feeder, Watcher) and its
// public handler. main runs it under a lifecycle group; tests run it too.
type Service struct {
	Routes  *Routes
	Feeder  *Feeder
	Watcher *Watcher
	Handler http.Handler

	nc  *nats.Conn
	log *slog.Logger
}

// New assembles the service on nc.
func New(cfg Config, nc *nats.Conn, log *slog.Logger) (*Service, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	routes := &Routes{}
	l := &links{secret: cfg.LinkSecret, gateway: cfg.GatewayURL, ttl: cfg.LinkCookieTTL, secure: cfg.LinksHTTPS,
		tickets: newTickets(), shared: &sharedTickets{js: js}, now: time.Now, log: log}
	h := &Handler{
		domain: cfg.AppsDomain,
		routes: routes,
		links:  l,
		rp:     newReverseProxy(NewTransport(cfg.DialTimeout), l, log),
		log:    log,
		trace:  cfg.TraceRequests,
	}
	feeder, watcher := NewFeeder(js, log), NewWatcher(js, routes, log)
	// One JetStream set-up at a time in this process (nats-server does not
	// like a stream update racing a consumer creation on it).
	watcher.setup = feeder.setup
	return &Service{
		Routes:  routes,
		Feeder:  feeder,
		Watcher: watcher,
		Handler: h,
		nc:      nc,
		log:     log,
	}, nil
}

// Checks are the readiness checks: NATS connected, route table loaded.
func (s *Service) Checks() health.Checks {
	return health.Checks{
		"nats": health.NATS(s.nc),
		"routes": func(context.Context) error {
			if !s.Routes.Loaded() {
				return errors.New("route table not loaded yet")
			}
			return nil
		},
	}
}

// PublicServer is the http.Server for the public listener; tlsCfg may be nil.
func (s *Service) PublicServer(tlsCfg *tls.Config) *http.Server {
	return &http.Server{
		Handler:           s.Handler,
		TLSConfig:         tlsCfg,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}

// TLSConfig loads the certificate for the HTTPS listener (HTTP/2 and 1.1).
func TLSConfig(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load TLS certificate: %w", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"h2", "http/1.1"},
	}, nil
}
