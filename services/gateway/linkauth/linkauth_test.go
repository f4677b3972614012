package linkauth_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/linktoken"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/pkg/testenv"
	"github.com/dockeronline/platform/services/gateway/linkauth"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

// sessions stands in for the auth service on the bus: tokens map to users.
func sessions(t *testing.T, nc *nats.Conn, users map[string]identity.Caller) {
	t.Helper()
	_, err := nc.Subscribe(subjects.AuthSessionCheck, func(m *nats.Msg) {
		var req msg.SessionCheck
		_ = json.Unmarshal(m.Data, &req)
		var rep msg.Reply[msg.Session]
		if c, ok := users[req.Token]; ok {
			rep.Data = msg.Session{Caller: c}
		} else {
			rep.Error = apierr.New(apierr.CodeUnauthenticated, "no session")
		}
		b, _ := json.Marshal(rep)
		_ = m.Respond(b)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// setup is a bus with alice, bob and an admin signed in, and alice's
// private app web--alice.
func setup(t *testing.T) *nats.Conn {
	t.Helper()
	nc := natstest.Connect(t, natstest.Server(t))
	alice := identity.Caller{UserID: "u-alice", Username: "alice", Role: identity.RoleUser}
	bob := identity.Caller{UserID: "u-bob", Username: "bob", Role: identity.RoleUser}
	admin := identity.Caller{UserID: "u-root", Username: "boss", Role: identity.RoleAdmin}
	sessions(t, nc, map[string]identity.Caller{"ta": alice, "tb": bob, "tr": admin})
	js, _ := jetstream.New(nc)
	kv, err := js.CreateKeyValue(context.Background(), jetstream.KeyValueConfig{Bucket: subjects.RoutesBucket})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(context.Background(), "web--alice", []byte(`{"owner":"u-alice","target":"172.18.0.2:80"}`)); err != nil {
		t.Fatal(err)
	}
	return nc
}

func TestLinkAuth(t *testing.T) {
	nc := setup(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := linkauth.Handler(nc, linkauth.Config{Secret: secret, AppsDomain: "apps.localhost", LoginPath: "/login?return_to=",
		AppsURLTemplate: "http://{host}:8000/"}, quiet)
	hs := linkauth.Handler(nc, linkauth.Config{Secret: secret, AppsDomain: "apps.localhost", LoginPath: "/login?return_to=",
		AppsURLTemplate: "https://{host}/"}, quiet)

	const redeem = "http://web--alice.apps.localhost:8000/.dockeronline/auth?"
	tests := []struct {
		name    string
		handler http.HandlerFunc
		token   string
		host    string
		ret     string
		status  int
		loc     string // prefix
		back    string // the return path handed to the proxy
	}{
		{"owner gets a ticket", h, "ta", "web--alice.apps.localhost:8000", "http://web--alice.apps.localhost:8000/x?y=1", 302, redeem, "/x?y=1"},
		{"admin gets a ticket", h, "tr", "web--alice.apps.localhost:8000", "", 302, redeem, "/"},
		{"another user is refused", h, "tb", "web--alice.apps.localhost:8000", "", 403, "", ""},
		{"no session goes to login", h, "", "web--alice.apps.localhost:8000", "", 302, "/login?return_to=", ""},
		{"unknown app", h, "ta", "nope--alice.apps.localhost:8000", "", 404, "", ""},
		{"not the apps domain", h, "ta", "web--alice.evil.test", "", 400, "", ""},
		{"authority smuggling", h, "ta", "web--alice.apps.localhost:8000@evil.test", "", 400, "", ""},
		{"backslash smuggling", h, "ta", `evil.com\@web--alice.apps.localhost:8000`, "", 400, "", ""},
		{"path in host", h, "ta", "web--alice.apps.localhost/evil", "", 400, "", ""},
		{"two labels", h, "ta", "a.web--alice.apps.localhost", "", 400, "", ""},
		{"another port of the host", h, "ta", "web--alice.apps.localhost:9999", "", 400, "", ""},
		{"no port when the public one is 8000", h, "ta", "web--alice.apps.localhost", "", 400, "", ""},
		{"return on another port", h, "ta", "web--alice.apps.localhost:8000", "http://web--alice.apps.localhost:9999/x", 302, redeem, "/"},
		{"return on another scheme", h, "ta", "web--alice.apps.localhost:8000", "https://web--alice.apps.localhost:8000/x", 302, redeem, "/"},
		{"return on another host", h, "ta", "web--alice.apps.localhost:8000", "http://evil.com/x", 302, redeem, "/"},
		{"return with backslash userinfo", h, "ta", "web--alice.apps.localhost:8000", `http://evil.com\@web--alice.apps.localhost:8000/x`, 302, redeem, "/"},
		{"return with user part", h, "ta", "web--alice.apps.localhost:8000", "http://evil.com@web--alice.apps.localhost:8000/x", 302, redeem, "/"},
		{"return to //host", h, "ta", "web--alice.apps.localhost:8000", "http://web--alice.apps.localhost:8000//evil.com/x", 302, redeem, "/"},
		{"return to /\\host", h, "ta", "web--alice.apps.localhost:8000", `http://web--alice.apps.localhost:8000/\\evil.com`, 302, redeem, "/"},
		{"scheme-relative return", h, "ta", "web--alice.apps.localhost:8000", "//evil.com/x", 302, redeem, "/"},
		{"https config: the default port", hs, "ta", "web--alice.apps.localhost", "https://web--alice.apps.localhost/p", 302, "https://web--alice.apps.localhost/.dockeronline/auth?", "/p"},
		{"https config: :443 named", hs, "ta", "web--alice.apps.localhost:443", "", 302, "https://web--alice.apps.localhost/.dockeronline/auth?", "/"},
		{"https config: http port refused", hs, "ta", "web--alice.apps.localhost:8000", "", 400, "", ""},
		{"https config: plain-http return ignored", hs, "ta", "web--alice.apps.localhost", "http://web--alice.apps.localhost/p", 302, "https://web--alice.apps.localhost/.dockeronline/auth?", "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{"host": {tt.host}, "return": {tt.ret}}
			req := httptest.NewRequest(http.MethodGet, "http://gw/auth/link?"+q.Encode(), nil)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			rec := httptest.NewRecorder()
			tt.handler(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d (%s)", rec.Code, tt.status, rec.Body)
			}
			loc := rec.Header().Get("Location")
			if !strings.HasPrefix(loc, tt.loc) {
				t.Fatalf("location %q, want prefix %q", loc, tt.loc)
			}
			if tt.status != 302 || !strings.Contains(loc, "/.dockeronline/auth?") {
				return
			}
			u, _ := url.Parse(loc)
			if u.User != nil || u.Hostname() != "web--alice.apps.localhost" {
				t.Fatalf("redirect to %q", loc)
			}
			if got := u.Query().Get("return"); got != tt.back {
				t.Fatalf("return %q, want %q", got, tt.back)
			}
			tok := u.Query().Get("token")
			c, err := linktoken.Verify(secret, tok, linktoken.Ticket, "web--alice.apps.localhost", time.Now())
			if err != nil {
				t.Fatalf("ticket: %v", err)
			}
			if c.ID == "" || time.Until(c.Expiry) > linkauth.TokenTTL || (tt.token == "ta" && c.UserID != "u-alice") {
				t.Fatalf("claims %+v", c)
			}
			// Bound to its host: no good at another app's host, nor as a cookie.
			if _, err := linktoken.Verify(secret, tok, linktoken.Ticket, "web--bob.apps.localhost", time.Now()); err == nil {
				t.Fatal("ticket accepted for another host")
			}
			if _, err := linktoken.Verify(secret, tok, linktoken.Cookie, "web--alice.apps.localhost", time.Now()); err == nil {
				t.Fatal("ticket accepted as a cookie")
			}
		})
	}
	// Without a secret, private links are off, clearly.
	off := linkauth.Handler(nc, linkauth.Config{AppsDomain: "apps.localhost"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	rec := httptest.NewRecorder()
	off(rec, httptest.NewRequest(http.MethodGet, "http://gw/auth/link?host=web--alice.apps.localhost", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("no secret: %d", rec.Code)
	}
}

// TestLinkTicketNeverReachesTheBait: a browser that follows every redirect
// of /auth/link (resolving *.apps.localhost to loopback, as browsers do)
// never carries a ticket to a listener on another port of the link's host,
// whatever host and return it is given: the bait records nothing, and
// tickets reach only the configured public port.
func TestLinkTicketNeverReachesTheBait(t *testing.T) {
	nc := setup(t)
	bait := testenv.NewBait(t)
	var mu sync.Mutex
	var redeemed []string
	public := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		redeemed = append(redeemed, r.Host+r.URL.Path)
		mu.Unlock()
	}))
	t.Cleanup(public.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(public.URL, "http://"))
	h := linkauth.Handler(nc, linkauth.Config{Secret: secret, AppsDomain: "apps.localhost", LoginPath: "/login?return_to=",
		AppsURLTemplate: "http://{host}:" + port + "/"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	gw := httptest.NewServer(h)
	t.Cleanup(gw.Close)
	// Every name dials loopback, at the port the URL names.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			_, p, _ := net.SplitHostPort(addr)
			return (&net.Dialer{}).DialContext(ctx, network, net.JoinHostPort("127.0.0.1", p))
		},
	}}
	appHost := "web--alice.apps.localhost"
	attacks := []struct{ host, ret string }{
		{appHost + ":" + strconv.Itoa(bait.Port), ""},
		{appHost + ":" + strconv.Itoa(bait.Port), "http://" + appHost + ":" + strconv.Itoa(bait.Port) + "/steal"},
		{appHost + ":" + port, "http://" + appHost + ":" + strconv.Itoa(bait.Port) + "/steal"},
		{appHost + ":" + port, bait.URL + "steal"},
		{appHost + ":" + port, "//" + bait.Host + "/steal"},
		{appHost + ":" + port, "http://" + appHost + ":" + port + "//" + bait.Host + "/steal"},
		{appHost + ":" + port, `http://` + bait.Host + `\@` + appHost + ":" + port + "/"},
		{bait.Host, ""},
		{appHost + ":" + port + "@" + bait.Host, ""},
		{`evil.com\@` + appHost + ":" + port, ""},
	}
	for _, a := range attacks {
		req, _ := http.NewRequest(http.MethodGet, gw.URL+"/auth/link?"+url.Values{"host": {a.host}, "return": {a.ret}}.Encode(), nil)
		req.Header.Set("Authorization", "Bearer ta")
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("host %q return %q: %v", a.host, a.ret, err)
		}
		res.Body.Close()
	}
	bait.AssertUntouched(t)
	mu.Lock()
	defer mu.Unlock()
	if len(redeemed) == 0 {
		t.Fatal("no ticket reached the public port: the attacks prove nothing")
	}
	for _, r := range redeemed {
		if r != appHost+":"+port+linkauth.AuthPath {
			t.Errorf("a ticket went to %s", r)
		}
	}
}
