package app

import (
	"context"
	"testing"

	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/health"
)

func runChecks(s *Service) (map[string]string, bool) {
	return health.Run(context.Background(), s.Checks())
}

func TestConfigDefaults(t *testing.T) {
	c, err := LoadConfig(config.FromMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != DefaultHTTPAddr || c.ProxyAddr != DefaultProxyAddr || c.AppsDomain != DefaultAppsDomain ||
		c.GatewayURL.String() != DefaultGatewayURL || len(c.LinkSecret) != 0 || c.TLSEnabled() {
		t.Fatalf("defaults = %+v", c)
	}
	c, err = LoadConfig(config.FromMap(map[string]string{"APPS_DOMAIN": ".Apps.Example.COM.", "GATEWAY_URL": "https://dock.example.com/"}))
	if err != nil || c.AppsDomain != "apps.example.com" || c.GatewayURL.String() != "https://dock.example.com" {
		t.Fatalf("normalised = %+v, %v", c, err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, m := range []map[string]string{
		{"APPS_DOMAIN": "bad_domain"},
		{"APPS_DOMAIN": "a..b"},
		{"GATEWAY_URL": "gateway:8080"},
		{"GATEWAY_URL": "ftp://x"},
		{"LINK_SECRET": "short"},
		{"TLS_CERT_FILE": "/x.pem"},
		{"LINK_COOKIE_TTL": "soon"},
		{"LINK_COOKIE_TTL": "-1h"},
	} {
		if _, err := LoadConfig(config.FromMap(m)); err == nil {
			t.Errorf("%v accepted", m)
		}
	}
}
