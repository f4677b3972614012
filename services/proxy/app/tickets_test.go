package app

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/linktoken"

	"github.com/dockeronline/platform/services/proxy/edge"
)

// When links are public over https (TLS ended before the proxy), the link
// cookie is Secure even on the proxy's plain-http listener.
func TestPrivateLinkSecureCookie(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.LinksHTTPS = true })
	host := e.routeTo("sec", "alice", true, echoHeaders())
	hostname := linktoken.NormalizeHost(host)
	tok, err := linktoken.Sign(testSecret, linktoken.Claims{Kind: linktoken.Ticket, ID: linktoken.NewID(), Host: hostname, UserID: "uid-alice", Expiry: time.Now().Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	r := e.get(host, edge.AuthPath+"?"+url.Values{"token": {tok}, "return": {"/"}}.Encode())
	c := (&http.Response{Header: r.header}).Cookies()
	if r.status != http.StatusFound || len(c) != 1 || !c[0].Secure || !c[0].HttpOnly || c[0].SameSite != http.SameSiteLaxMode || c[0].Domain != "" {
		t.Fatalf("cookie %d %+v", r.status, c)
	}
}

func TestConfigLinksHTTPS(t *testing.T) {
	for tmpl, want := range map[string]bool{"": false, "http://{host}:8000/": false, "https://{host}/": true} {
		c, err := LoadConfig(config.FromMap(map[string]string{"APPS_URL_TEMPLATE": tmpl}))
		if err != nil || c.LinksHTTPS != want {
			t.Errorf("APPS_URL_TEMPLATE=%q: LinksHTTPS %v (%v), want %v", tmpl, c.LinksHTTPS, err, want)
		}
	}
	if _, err := LoadConfig(config.FromMap(map[string]string{"APPS_URL_TEMPLATE": "ftp://{host}/"})); err == nil {
		t.Error("ftp template accepted")
	}
}

// Two proxies on one NATS: a ticket redeemed at one is refused at the
// other (the shared record in the link-tickets bucket).
func TestTicketSingleUseAcrossProxies(t *testing.T) {
	a := newEnv(t)
	b := startProxy(t, a.nc, testConfig())
	host := a.routeTo("two", "alice", true, echoHeaders())
	hostname := linktoken.NormalizeHost(host)
	eventually(t, 20*time.Second, "route at the second proxy", func() bool { _, ok := b.svc.Routes.Load().Lookup("two--alice"); return ok })
	ticket, err := linktoken.Sign(testSecret, linktoken.Claims{Kind: linktoken.Ticket, ID: linktoken.NewID(), Host: hostname, UserID: "uid-alice", Expiry: time.Now().Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	path := edge.AuthPath + "?" + url.Values{"token": {ticket}, "return": {"/"}}.Encode()
	if r := a.get(host, path); r.status != http.StatusFound || r.header.Get("Set-Cookie") == "" {
		t.Fatalf("first redemption: %d %s", r.status, clip(r.body))
	}
	if r := b.get(b.host("two--alice"), path); r.status != http.StatusBadRequest || r.header.Get("Set-Cookie") != "" {
		t.Fatalf("the same ticket at another proxy: %d %v", r.status, r.header)
	}
}
