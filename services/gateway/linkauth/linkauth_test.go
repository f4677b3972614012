package linkauth_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
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

func TestLinkAuth(t *testing.T) {
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
	h := linkauth.Handler(nc, linkauth.Config{Secret: secret, AppsDomain: "apps.localhost", LoginPath: "/login?return_to="},
		slog.New(slog.NewTextHandler(io.Discard, nil)))

	tests := []struct {
		name, token, host, ret string
		status                 int
		location               string // prefix
	}{
		{"owner gets a token", "ta", "web--alice.apps.localhost:8000", "http://web--alice.apps.localhost:8000/x?y=1", 302, "http://web--alice.apps.localhost:8000/.dockeronline/auth?"},
		{"admin gets a token", "tr", "web--alice.apps.localhost:8000", "", 302, "http://web--alice.apps.localhost:8000/.dockeronline/auth?"},
		{"another user is refused", "tb", "web--alice.apps.localhost:8000", "", 403, ""},
		{"no session goes to login", "", "web--alice.apps.localhost:8000", "", 302, "/login?return_to="},
		{"unknown app", "ta", "nope--alice.apps.localhost", "", 404, ""},
		{"not the apps domain", "ta", "web--alice.evil.test", "", 400, ""},
		{"authority smuggling", "ta", "web--alice.apps.localhost:8000@evil.test", "", 400, ""},
		{"path in host", "ta", "web--alice.apps.localhost/evil", "", 400, ""},
		{"two labels", "ta", "a.web--alice.apps.localhost", "", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{"host": {tt.host}, "return": {tt.ret}}
			req := httptest.NewRequest(http.MethodGet, "http://gw/auth/link?"+q.Encode(), nil)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			rec := httptest.NewRecorder()
			h(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d (%s)", rec.Code, tt.status, rec.Body)
			}
			loc := rec.Header().Get("Location")
			if !strings.HasPrefix(loc, tt.location) {
				t.Fatalf("location %q, want prefix %q", loc, tt.location)
			}
			if tt.status != 302 || !strings.Contains(loc, "/.dockeronline/auth?") {
				return
			}
			u, _ := url.Parse(loc)
			c, err := linktoken.Verify(secret, u.Query().Get("token"), "web--alice.apps.localhost", time.Now())
			if err != nil {
				t.Fatalf("token: %v", err)
			}
			if tt.token == "ta" && (c.UserID != "u-alice" || u.Query().Get("return") != "/x?y=1") {
				t.Fatalf("claims %+v return %q", c, u.Query().Get("return"))
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
