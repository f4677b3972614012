package app

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/dockeronline/platform/pkg/linktoken"

	"github.com/dockeronline/platform/services/proxy/edge"
)

// Tests of the HTTP behaviour against backends in this process, routed
// through real container events like any app.

// routeTo serves h on loopback and publishes a start event routing
// <name>--<user> to it; it returns the public host (with port).
func (e *env) routeTo(name, user string, private bool, h http.Handler) string {
	e.t.Helper()
	srv := httptest.NewServer(h)
	e.t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	ev := startEvent("c-"+name+"-"+user, name, user, "127.0.0.1", p)
	ev.PrivateLink = private
	e.publish(ev)
	label := name + "--" + user
	eventually(e.t, 10*time.Second, label+" routed", func() bool { _, ok := e.svc.Routes.Load().Lookup(label); return ok })
	return e.host(label)
}

// echoHeaders answers with the request's host and headers as JSON.
func echoHeaders() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"host": r.Host, "header": r.Header, "path": r.URL.RequestURI()})
	})
}

type echoed struct {
	Host   string      `json:"host"`
	Header http.Header `json:"header"`
	Path   string      `json:"path"`
}

func decodeEcho(t *testing.T, r reply) echoed {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, clip(r.body))
	}
	var e echoed
	if err := json.Unmarshal([]byte(r.body), &e); err != nil {
		t.Fatalf("decode %q: %v", clip(r.body), err)
	}
	return e
}

func TestForwardedHeadersAreReplaced(t *testing.T) {
	e := newEnv(t)
	host := e.routeTo("hdr", "alice", false, echoHeaders())
	got := decodeEcho(t, e.get(host, "/p?q=1",
		"X-Forwarded-For", "6.6.6.6",
		"X-Forwarded-For", "7.7.7.7",
		"x-forwarded-host", "evil.example",
		"X-Forwarded-Proto", "https",
		"X-Forwarded-Port", "443",
		"X-Forwarded-Prefix", "/admin",
		"Forwarded", "for=6.6.6.6;proto=https",
		"X-Real-IP", "6.6.6.6",
	))
	h := got.Header
	want := map[string]string{
		"X-Forwarded-For":   "127.0.0.1",
		"X-Forwarded-Host":  host,
		"X-Forwarded-Proto": "http",
		"X-Real-Ip":         "127.0.0.1",
	}
	for k, v := range want {
		if vals := h.Values(k); len(vals) != 1 || vals[0] != v {
			t.Errorf("%s = %q, want exactly %q", k, vals, v)
		}
	}
	for _, k := range []string{"X-Forwarded-Port", "X-Forwarded-Prefix", "Forwarded"} {
		if vals := h.Values(k); len(vals) != 0 {
			t.Errorf("client's %s reached the app: %q", k, vals)
		}
	}
	if got.Host != host || got.Path != "/p?q=1" {
		t.Errorf("app saw host %q path %q; want %q /p?q=1", got.Host, got.Path, host)
	}
}

// Hop-by-hop headers go, whatever their case, both ways; headers named in
// Connection go too.
func TestHopByHopHeaders(t *testing.T) {
	e := newEnv(t)
	host := e.routeTo("hop", "alice", false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "X-Resp-Hop")
		w.Header().Set("X-Resp-Hop", "secret")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("X-Resp-Kept", "yes")
		echoHeaders().ServeHTTP(w, r)
	}))
	conn, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	raw := "GET / HTTP/1.1\r\n" +
		"hOsT: " + host + "\r\n" +
		"cOnNeCtIoN: keep-alive, x-CUSTOM-hop\r\n" +
		"x-custom-HOP: secret\r\n" +
		"KEEP-ALIVE: timeout=9\r\n" +
		"proxy-AUTHORIZATION: Basic Zm9vOmJhcg==\r\n" +
		"x-kept: yes\r\n\r\n"
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	got := decodeEcho(t, reply{status: res.StatusCode, body: string(body)})
	for _, k := range []string{"X-Custom-Hop", "Keep-Alive", "Proxy-Authorization", "Connection"} {
		if v := got.Header.Values(k); len(v) != 0 {
			t.Errorf("hop-by-hop %s reached the app: %q", k, v)
		}
	}
	if got.Header.Get("X-Kept") != "yes" {
		t.Error("an end-to-end header was dropped")
	}
	if res.Header.Get("X-Resp-Hop") != "" || res.Header.Get("Keep-Alive") != "" {
		t.Errorf("hop-by-hop response headers reached the client: %v", res.Header)
	}
	if res.Header.Get("X-Resp-Kept") != "yes" {
		t.Error("an end-to-end response header was dropped")
	}
}

func TestWebsocketEchoThroughProxy(t *testing.T) {
	e := newEnv(t)
	host := e.routeTo("ws", "alice", false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(1 << 20)
		for {
			typ, b, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if err := c.Write(r.Context(), typ, b); err != nil {
				return
			}
		}
	}))
	// The browser would resolve <label>.apps.localhost to loopback; the
	// client here dials the proxy for any name.
	dialer := &net.Dialer{}
	hc := &http.Client{Transport: &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, "tcp", e.addr)
		},
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, res, err := websocket.Dial(ctx, "ws://"+host+"/echo", &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		t.Fatalf("dial through proxy: %v", err)
	}
	defer c.CloseNow()
	c.SetReadLimit(1 << 20)
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", res.StatusCode)
	}
	for i, m := range []struct {
		typ  websocket.MessageType
		data []byte
	}{
		{websocket.MessageText, []byte("hello")},
		{websocket.MessageBinary, []byte{0, 1, 2, 0xff, 0xfe}},
		{websocket.MessageText, []byte(strings.Repeat("x", 200_000))},
	} {
		if err := c.Write(ctx, m.typ, m.data); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		typ, got, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		if typ != m.typ || string(got) != string(m.data) {
			t.Fatalf("echo %d: got %v %d bytes", i, typ, len(got))
		}
	}
	_ = c.Close(websocket.StatusNormalClosure, "bye")
}

// A streamed response reaches the client chunk by chunk: the second chunk
// is only written once the client has read the first through the proxy.
// Both kinds of stream: server-sent events, and any body of unknown length.
func TestStreamingPassesThrough(t *testing.T) {
	e := newEnv(t)
	for _, ct := range []string{"text/event-stream", "application/octet-stream"} {
		firstSeen := make(chan struct{})
		name := strings.ReplaceAll(strings.Split(ct, "/")[1], "-", "")[:6]
		host := e.routeTo(name, "alice", false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ct)
			fmt.Fprint(w, "data: one\n\n")
			http.NewResponseController(w).Flush()
			select {
			case <-firstSeen:
			case <-time.After(20 * time.Second):
				return
			}
			fmt.Fprint(w, "data: two\n\n")
		}))
		req, _ := http.NewRequest(http.MethodGet, e.base+"/events", nil)
		req.Host = host
		res, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(res.Body)
		line, err := br.ReadString('\n')
		if err != nil || line != "data: one\n" {
			t.Fatalf("%s: first chunk: %q, %v", ct, line, err)
		}
		close(firstSeen)
		rest, _ := io.ReadAll(br)
		res.Body.Close()
		if !strings.Contains(string(rest), "data: two") {
			t.Fatalf("%s: second chunk missing: %q", ct, rest)
		}
	}
}

// Only the Host header routes; anything that is not an app host, or an
// unknown app, gets the 404 page.
func TestHostIsTheOnlyRoutingInput(t *testing.T) {
	e := newEnv(t)
	host := e.routeTo("web", "alice", false, echoHeaders())
	_, port, _ := net.SplitHostPort(e.addr)
	if r := e.get(strings.ToUpper(host), "/"); r.status != http.StatusOK {
		t.Fatalf("upper-case host: %d", r.status)
	}
	for _, h := range []string{
		"web--bob." + testDomain + ":" + port, // no such app
		"evil.example", testDomain, "127.0.0.1:" + port,
		"web--alice." + testDomain + ".evil.example",
		"x.web--alice." + testDomain,
		"web--alice.other.localhost",
	} {
		r := e.get(h, "/", "X-Forwarded-Host", host)
		if !isNotFoundPage(r) {
			t.Errorf("Host %q: %d %s", h, r.status, clip(r.body))
		}
		if r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("404 page may be cached")
		}
	}
	// An absolute-form request line names the host: same rules.
	req, _ := http.NewRequest(http.MethodGet, e.base+"/", nil)
	req.Host = "evil.example"
	req.Header.Set("Host", host)
	r, err := e.do(req, "evil.example")
	if err != nil || !isNotFoundPage(r) {
		t.Fatalf("Host header is the routing input: %d %v", r.status, err)
	}
}

// An app whose port has nobody listening gets the 502 page with the hint.
func TestAppNotRespondingPage(t *testing.T) {
	e := newEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there any more
	e.publish(startEvent("c-dead", "dead", "alice", "127.0.0.1", port))
	host := e.host("dead--alice")
	r, _ := e.waitGet(host, "/", 10*time.Second, "502 page", func(r reply) bool { return r.status != http.StatusNotFound })
	if !isUnavailablePage(r) || !strings.Contains(r.body, strconv.Itoa(port)) {
		t.Fatalf("got %d %s", r.status, clip(r.body))
	}
	noGoErrors(t, r)
}

// Private links: only the owner and admins get through, with a token the
// gateway signs; the cookie never reaches the app.
func TestPrivateLink(t *testing.T) {
	e := newEnv(t)
	host := e.routeTo("priv", "alice", true, echoHeaders())
	hostname := linktoken.NormalizeHost(host)
	// token is a gateway ticket; cookie the proxy's own cookie token.
	sign := func(kind linktoken.Kind, user, role string, h string, ttl time.Duration) string {
		tok, err := linktoken.Sign(testSecret, linktoken.Claims{Kind: kind, ID: linktoken.NewID(), Host: h, UserID: user, Role: role, Expiry: time.Now().Add(ttl)})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	token := func(user, role string, h string, ttl time.Duration) string {
		return sign(linktoken.Ticket, user, role, h, ttl)
	}
	cookie := func(user, role string, h string, ttl time.Duration) string {
		return sign(linktoken.Cookie, user, role, h, ttl)
	}
	callback := func(tok, ret string) reply {
		return e.get(host, edge.AuthPath+"?"+url.Values{"token": {tok}, "return": {ret}}.Encode())
	}

	// No cookie: a browser is sent to the gateway's login for this link.
	r := e.get(host, "/page?x=1")
	if r.status != http.StatusFound {
		t.Fatalf("no cookie: %d %s", r.status, clip(r.body))
	}
	loc, _ := url.Parse(r.header.Get("Location"))
	if loc.Host != "gateway.test:8080" || loc.Path != "/auth/link" || loc.Query().Get("host") != host ||
		loc.Query().Get("return") != "http://"+host+"/page?x=1" {
		t.Fatalf("login redirect = %s", loc)
	}
	// Not a page load: a 401 page with the sign-in link.
	req, _ := http.NewRequest(http.MethodPost, e.base+"/api", strings.NewReader("x"))
	if r, _ := e.do(req, host); r.status != http.StatusUnauthorized || !strings.Contains(r.body, "Sign in") {
		t.Fatalf("POST without cookie: %d %s", r.status, clip(r.body))
	}

	// Another user's token is refused, and sets no cookie.
	r = callback(token("uid-bob", "user", hostname, time.Minute), "/")
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "This link is private") || r.header.Get("Set-Cookie") != "" {
		t.Fatalf("bob's token: %d %v %s", r.status, r.header, clip(r.body))
	}
	// Bob holding a valid cookie of his own for this host is refused too.
	r = e.get(host, "/", "Cookie", edge.CookieName+"="+cookie("uid-bob", "user", hostname, time.Hour))
	if r.status != http.StatusForbidden {
		t.Fatalf("bob's cookie: %d %s", r.status, clip(r.body))
	}
	// Tickets for another host, expired, forged, a cookie token offered as
	// a ticket: the bad-link page.
	for name, tok := range map[string]string{
		"other host":         token("uid-alice", "user", "other--alice."+testDomain, time.Minute),
		"expired":            token("uid-alice", "user", hostname, -time.Second),
		"forged":             token("uid-alice", "user", hostname, time.Minute)[:20] + "x",
		"cookie as a ticket": cookie("uid-alice", "user", hostname, time.Minute),
	} {
		if r := callback(tok, "/"); r.status != http.StatusBadRequest || r.header.Get("Set-Cookie") != "" {
			t.Fatalf("%s token: %d %s", name, r.status, clip(r.body))
		}
	}

	// The owner: cookie set for this host only, back to the page asked for.
	ticket := token("uid-alice", "user", hostname, time.Minute)
	r = callback(ticket, "http://"+host+"/page?x=1")
	if r.status != http.StatusFound || r.header.Get("Location") != "/page?x=1" {
		t.Fatalf("owner callback: %d %v", r.status, r.header)
	}
	// A ticket opens a cookie once: replayed, it is refused.
	if r := callback(ticket, "/"); r.status != http.StatusBadRequest || r.header.Get("Set-Cookie") != "" {
		t.Fatalf("replayed ticket: %d %v", r.status, r.header)
	}
	// A ticket is not a cookie.
	if r := e.get(host, "/", "Cookie", edge.CookieName+"="+token("uid-alice", "user", hostname, time.Minute)); r.status != http.StatusFound {
		t.Fatalf("ticket as a cookie: %d %s", r.status, clip(r.body))
	}
	res := &http.Response{Header: r.header}
	cookies := res.Cookies()
	if len(cookies) != 1 || cookies[0].Name != edge.CookieName || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteLaxMode ||
		cookies[0].Domain != "" || cookies[0].Path != "/" || cookies[0].MaxAge <= 0 {
		t.Fatalf("cookie = %+v", cookies)
	}
	if cookies[0].Secure {
		t.Fatal("cookie is Secure on a plain-http platform")
	}
	if _, err := linktoken.Verify(testSecret, cookies[0].Value, linktoken.Cookie, hostname, time.Now().Add(30*time.Minute)); err != nil {
		t.Fatalf("cookie token is not a longer-lived link token: %v", err)
	}
	got := decodeEcho(t, e.get(host, "/page", "Cookie", "a=1; "+edge.CookieName+"="+cookies[0].Value+"; b=2"))
	if c := got.Header.Values("Cookie"); len(c) != 1 || c[0] != "a=1; b=2" {
		t.Fatalf("app saw cookies %q; the link cookie must be stripped", c)
	}
	// A junk cookie of the same name planted beside the good one does not lock the owner out.
	decodeEcho(t, e.get(host, "/", "Cookie", edge.CookieName+"=junk; "+edge.CookieName+"="+cookies[0].Value))

	// An admin gets through.
	decodeEcho(t, e.get(host, "/", "Cookie", edge.CookieName+"="+cookie("uid-root", "admin", hostname, time.Hour)))

	// The way back never leaves this host.
	for _, ret := range []string{"//evil.example/x", "http://evil.example/", "javascript:alert(1)", "/\\evil.example", "https://" + host + "@evil.example/"} {
		r := callback(token("uid-alice", "user", hostname, time.Minute), ret)
		loc := r.header.Get("Location")
		u, err := url.Parse(loc)
		if r.status != http.StatusFound || err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(loc, "/") ||
			strings.HasPrefix(loc, "//") || strings.Contains(loc, "\\") {
			t.Fatalf("return %q: %d Location %q", ret, r.status, loc)
		}
	}
}

// Without LINK_SECRET private links are refused with a page that says so;
// public links still work.
func TestPrivateLinkWithoutSecret(t *testing.T) {
	e := newEnv(t, withoutSecret())
	priv := e.routeTo("priv", "alice", true, echoHeaders())
	r := e.get(priv, "/")
	if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "LINK_SECRET") {
		t.Fatalf("private link without secret: %d %s", r.status, clip(r.body))
	}
	pub := e.routeTo("pub", "alice", false, echoHeaders())
	decodeEcho(t, e.get(pub, "/"))
}

// HTTPS with a wildcard certificate: same routing, X-Forwarded-Proto https,
// and the private-link cookie is Secure.
func TestHTTPS(t *testing.T) {
	e := newEnv(t)
	certFile, keyFile := writeWildcardCert(t, "*."+testDomain)
	tlsCfg, err := edge.TLSConfig(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := e.svc.PublicServer(tlsCfg)
	go func() { _ = srv.Serve(tls.NewListener(ln, tlsCfg)) }()
	t.Cleanup(func() { _ = srv.Close() })

	pub := e.routeTo("pub", "alice", false, echoHeaders())
	e.routeTo("priv", "alice", true, echoHeaders())
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	pool := certPool(t, certFile)
	hc := &http.Client{
		Transport: &http.Transport{
			Proxy:             nil,
			TLSClientConfig:   &tls.Config{RootCAs: pool},
			ForceAttemptHTTP2: true,
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, "tcp", ln.Addr().String())
			},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	get := func(label, path string) *http.Response {
		res, err := hc.Get("https://" + label + "." + testDomain + ":" + port + path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	res := get("pub--alice", "/")
	body, _ := io.ReadAll(res.Body)
	got := decodeEcho(t, reply{status: res.StatusCode, body: string(body)})
	if got.Header.Get("X-Forwarded-Proto") != "https" || res.ProtoMajor != 2 {
		t.Fatalf("over TLS: proto %s, X-Forwarded-Proto %q", res.Proto, got.Header.Get("X-Forwarded-Proto"))
	}
	_ = pub
	hostname := "priv--alice." + testDomain
	tok, _ := linktoken.Sign(testSecret, linktoken.Claims{Kind: linktoken.Ticket, ID: linktoken.NewID(), Host: hostname, UserID: "uid-alice", Expiry: time.Now().Add(time.Minute)})
	res = get("priv--alice", edge.AuthPath+"?token="+url.QueryEscape(tok)+"&return=/")
	if c := res.Cookies(); res.StatusCode != http.StatusFound || len(c) != 1 || !c[0].Secure {
		t.Fatalf("cookie over TLS: %d %+v", res.StatusCode, c)
	}
	res = get("priv--alice", "/x")
	if loc := res.Header.Get("Location"); !strings.Contains(loc, url.QueryEscape("https://"+hostname+":"+port+"/x")) {
		t.Fatalf("login redirect over TLS must come back over TLS: %s", loc)
	}
}
