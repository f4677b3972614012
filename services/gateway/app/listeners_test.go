package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/gateway/gatewaytest"
)

// chunked hides a body's length, so the client sends it chunked.
type chunked struct{ io.Reader }

// TestPublicListenerLimits: the gateway's public listener does not serve
// /metrics (its own METRICS_ADDR listener does), and an API body over the
// size limit is answered 413 with the JSON error, read by a real client,
// with a declared length or chunked.
func TestPublicListenerLimits(t *testing.T) {
	srv := natstest.Server(t)
	nc := natstest.Connect(t, srv)
	// The auth service's answer for the token "alice".
	_, err := nc.Subscribe(subjects.AuthSessionCheck, func(m *nats.Msg) {
		var req msg.SessionCheck
		_ = json.Unmarshal(m.Data, &req)
		var rep msg.Reply[msg.Session]
		if req.Token == "alice" {
			rep.Data = msg.Session{Caller: identity.Caller{UserID: "u-alice", Username: "alice", Role: identity.RoleUser}}
		} else {
			rep.Error = apierr.New(apierr.CodeUnauthenticated, "no session")
		}
		b, _ := json.Marshal(rep)
		_ = m.Respond(b)
	})
	if err != nil {
		t.Fatal(err)
	}
	base, metricsURL := gatewaytest.StartWithMetrics(t, srv.ClientURL(), "http://127.0.0.1:1")
	client := &http.Client{Timeout: 30 * time.Second}

	t.Run("metrics", func(t *testing.T) {
		for _, c := range []struct {
			url    string
			status int
		}{{base + "/metrics", 404}, {base + "/metrics/", 404}, {base + "/api/v1/metrics", 401}, {metricsURL, 200}} {
			res, err := client.Get(c.url)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != c.status || strings.Contains(string(body), "_http_requests_total") != (c.status == 200) {
				t.Errorf("GET %s: %d (%d bytes), want %d", c.url, res.StatusCode, len(body), c.status)
			}
		}
	})

	t.Run("oversized bodies", func(t *testing.T) {
		big := bytes.Repeat([]byte("x"), 4<<20)
		copy(big, `{"name":"`)
		for _, isChunked := range []bool{false, true} {
			var body io.Reader = bytes.NewReader(big)
			if isChunked {
				body = chunked{body}
			}
			req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/volumes", body)
			req.Header.Set("Authorization", "Bearer alice")
			req.Header.Set("Content-Type", "application/json")
			res, err := client.Do(req)
			if err != nil {
				t.Fatalf("chunked=%v: the client saw %v, want a 413", isChunked, err)
			}
			var e struct {
				Error apierr.Error `json:"error"`
			}
			err = json.NewDecoder(res.Body).Decode(&e)
			res.Body.Close()
			if res.StatusCode != http.StatusRequestEntityTooLarge || err != nil || e.Error.Code != apierr.CodeTooLarge {
				t.Fatalf("chunked=%v: %d %+v (%v), want 413 %s", isChunked, res.StatusCode, e, err, apierr.CodeTooLarge)
			}
		}
	})
}
