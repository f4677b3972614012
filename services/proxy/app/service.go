package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/health"
	"github.com/dockeronline/platform/services/proxy/edge"
	"github.com/dockeronline/platform/services/proxy/routes"
)

// Service is the proxy assembled: its actors (Feeder, Watcher) and its
// public handler. Run runs it under a lifecycle group; tests run it too.
type Service struct {
	Routes  *routes.Routes
	Feeder  *routes.Feeder
	Watcher *routes.Watcher
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
	table, feeder, watcher := routes.New(js, log)
	h := edge.New(edge.Options{
		AppsDomain: cfg.AppsDomain, GatewayURL: cfg.GatewayURL,
		LinkSecret: cfg.LinkSecret, LinkCookieTTL: cfg.LinkCookieTTL, LinksHTTPS: cfg.LinksHTTPS,
		DialTimeout: cfg.DialTimeout, TraceRequests: cfg.TraceRequests,
	}, table, js, log)
	return &Service{Routes: table, Feeder: feeder, Watcher: watcher, Handler: h, nc: nc, log: log}, nil
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
	return edge.Server(s.Handler, tlsCfg, s.log)
}
