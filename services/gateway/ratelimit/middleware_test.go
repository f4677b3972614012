package ratelimit

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/identity"
)

func serve(h http.Handler, user string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/api/v1/containers", nil)
	if user != "" {
		req = req.WithContext(identity.With(req.Context(), identity.Caller{UserID: user, Username: user, Role: identity.RoleUser}))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestMiddleware(t *testing.T) {
	l, c := newTestLimiter(2, 2, 0)
	calls := 0
	h := l.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls++
		w.WriteHeader(http.StatusOK)
	}))

	for i := range 2 {
		if rec := serve(h, "alice"); rec.Code != http.StatusOK {
			t.Fatalf("call %d: %d, want 200", i, rec.Code)
		}
	}
	c.advance(100 * time.Millisecond) // 0.2 tokens: the next one is 400ms away
	rec := serve(h, "alice")
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("third call: %d, want 429", rec.Code)
	}
	if ra := rec.Header().Get("Retry-After"); ra != "1" {
		t.Fatalf("Retry-After %q, want 1 (400ms rounded up to whole seconds)", ra)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q", ct)
	}
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	if body.Error.Code != "rate_limited" || !strings.Contains(body.Error.Message, "2 calls a second") || !strings.Contains(body.Error.Message, "bursts of 2") {
		t.Fatalf("error body %+v", body.Error)
	}
	if calls != 2 {
		t.Fatalf("the refused call reached the handler (%d calls)", calls)
	}

	// Another user is unaffected; an unauthenticated request is not this
	// middleware's business.
	if rec := serve(h, "bob"); rec.Code != http.StatusOK {
		t.Fatalf("bob: %d, want 200", rec.Code)
	}
	for range 5 {
		if rec := serve(h, ""); rec.Code != http.StatusOK {
			t.Fatalf("no caller: %d, want 200 (passed on)", rec.Code)
		}
	}
	// Alice gets through again once a token is back.
	c.advance(400 * time.Millisecond)
	if rec := serve(h, "alice"); rec.Code != http.StatusOK {
		t.Fatalf("alice after the wait: %d, want 200", rec.Code)
	}
}

func TestLoadOptions(t *testing.T) {
	tests := []struct {
		env     map[string]string
		want    Options
		wantErr string
	}{
		{env: map[string]string{}, want: Options{Rate: 20, Burst: 60, MaxUsers: 100000}},
		{env: map[string]string{"API_RATE_PER_SECOND": "2.5", "API_RATE_BURST": "5", "API_RATE_MAX_USERS": "10"}, want: Options{Rate: 2.5, Burst: 5, MaxUsers: 10}},
		{env: map[string]string{"API_RATE_PER_SECOND": "0"}, want: Options{Rate: 0, Burst: 60, MaxUsers: 100000}},
		{env: map[string]string{"API_RATE_PER_SECOND": "fast"}, wantErr: "API_RATE_PER_SECOND"},
		{env: map[string]string{"API_RATE_PER_SECOND": "-1"}, wantErr: "API_RATE_PER_SECOND"},
		{env: map[string]string{"API_RATE_BURST": "0"}, wantErr: "API_RATE_BURST"},
		{env: map[string]string{"API_RATE_MAX_USERS": "-3"}, wantErr: "API_RATE_MAX_USERS"},
	}
	for _, tt := range tests {
		got, err := LoadOptions(config.FromMap(tt.env))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: err %v, want one naming %s", tt.env, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.Rate != tt.want.Rate || got.Burst != tt.want.Burst || got.MaxUsers != tt.want.MaxUsers {
			t.Errorf("%v: %+v, %v; want %+v", tt.env, got, err, tt.want)
		}
	}
}

func TestDisabledMiddlewareIsThePlainHandler(t *testing.T) {
	l, _ := newTestLimiter(0, 1, 0)
	h := l.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	for range 100 {
		if rec := serve(h, "alice"); rec.Code != http.StatusTeapot {
			t.Fatalf("%d with the limiter off", rec.Code)
		}
	}
}
