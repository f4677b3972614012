// Package edge is the proxy's public side: the handler that maps a Host to
// a route, checks private links, and reverse-proxies to the container, the
// proxy's own pages, and the servers it runs on.
package edge

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/services/proxy/routes"
)

// Options are what the edge needs from the proxy's configuration.
type Options struct {
	AppsDomain string
	// GatewayURL, LinkSecret, LinkCookieTTL and LinksHTTPS set private
	// links (see privatelink.go); no secret: private links answer "not
	// available".
	GatewayURL    *url.URL
	LinkSecret    []byte
	LinkCookieTTL time.Duration
	LinksHTTPS    bool
	DialTimeout   time.Duration
	// TraceRequests makes a server span per request.
	TraceRequests bool
}

// New is the public handler on routes; js holds the link tickets every
// replica shares.
func New(o Options, table *routes.Routes, js jetstream.JetStream, log *slog.Logger) *Handler {
	l := &links{secret: o.LinkSecret, gateway: o.GatewayURL, ttl: o.LinkCookieTTL, secure: o.LinksHTTPS,
		tickets: newTickets(), shared: &sharedTickets{js: js}, now: time.Now, log: log}
	return &Handler{
		domain: o.AppsDomain,
		routes: table,
		links:  l,
		rp:     newReverseProxy(NewTransport(o.DialTimeout), l, log),
		log:    log,
		trace:  o.TraceRequests,
	}
}

// Server is the http.Server for the public listener; tlsCfg may be nil.
func Server(h http.Handler, tlsCfg *tls.Config, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		TLSConfig:         tlsCfg,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
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
