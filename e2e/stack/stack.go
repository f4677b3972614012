// Package stack starts the whole platform for end-to-end tests: a real
// JetStream NATS server, Postgres, a migrated Kratos, the real Docker engine
// and the auth, runner and gateway services (in-process, the same code their
// mains run). Clients then talk to it only over HTTP, like a user would.
package stack

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/testenv"
	"github.com/dockeronline/platform/services/auth/authtest"
	"github.com/dockeronline/platform/services/gateway/gatewaytest"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// Stack is a running platform.
type Stack struct {
	GatewayURL string
	Kratos     *testenv.Kratos
	NATSURL    string
	Docker     *client.Client
	Image      string // a local busybox image
	Admin      string // the bootstrap admin's username
}

// Start brings the platform up for the test.
func Start(t testing.TB) *Stack {
	t.Helper()
	docker := dockertest.Client(t)
	img := dockertest.BusyboxImage(t, docker)
	srv := natstest.Server(t)
	dsn := testenv.Postgres(t)
	k := testenv.StartKratos(t, testenv.NewDatabase(t, dsn), testenv.WithDevMode())
	s := &Stack{Kratos: k, NATSURL: srv.ClientURL(), Docker: docker, Image: img, Admin: "admin-" + randomHex(4)}
	authtest.Start(t, authtest.Options{
		NATSURL: s.NATSURL, DatabaseURL: dsn,
		KratosPublicURL: k.PublicURL, KratosAdminURL: k.AdminURL, BootstrapAdmin: s.AdminEmail(),
	})
	// The tests' registries (pkg/registrytest) listen on loopback: allowed
	// here by configuration, as an operator would.
	runnertest.Start(t, s.NATSURL, map[string]string{"DATABASE_URL": testenv.NewDatabase(t, dsn), "RUNNER_PULL_INTERNAL_REGISTRIES": "127.0.0.1"})
	s.GatewayURL = gatewaytest.Start(t, s.NATSURL, k.PublicURL)
	return s
}

// User is a registered platform user with an API session token.
type User struct {
	Username string
	Email    string
	Token    string
	UserID   string
}

// Register signs a new user up through Kratos' API flow and returns its
// session token; the user's Docker objects are removed when the test ends.
func (s *Stack) Register(t testing.TB, username string) User {
	t.Helper()
	return s.RegisterWith(t, username, username+"@example.test")
}

// RegisterWith is Register with the e-mail address given.
func (s *Stack) RegisterWith(t testing.TB, username, email string) User {
	t.Helper()
	var flow struct {
		ID string `json:"id"`
	}
	mustJSON(t, http.MethodGet, s.Kratos.PublicURL+"/self-service/registration/api", nil, "", &flow)
	var reg struct {
		SessionToken string `json:"session_token"`
		Identity     struct {
			ID string `json:"id"`
		} `json:"identity"`
	}
	body := map[string]any{"method": "password", "password": "correct horse battery " + username,
		"traits": map[string]string{"email": email, "username": username}}
	mustJSON(t, http.MethodPost, s.Kratos.PublicURL+"/self-service/registration?flow="+flow.ID, body, "", &reg)
	if reg.SessionToken == "" {
		t.Fatalf("registration of %s returned no session token", username)
	}
	t.Cleanup(func() { runnertest.RemoveOwned(t, s.Docker, reg.Identity.ID) })
	return User{Username: username, Email: email, Token: reg.SessionToken, UserID: reg.Identity.ID}
}

// UniqueName is a fresh valid username with prefix.
func UniqueName(prefix string) string { return prefix + randomHex(4) }

// Response is an API answer.
type Response struct {
	Status int
	Body   []byte
}

// JSON decodes the body into v.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// APIError is the error body of a failed call.
type APIError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Rule    string `json:"rule"`
	Docker  string `json:"docker"`
}

// Err decodes the error body.
func (r Response) Err(t testing.TB) APIError {
	t.Helper()
	var e struct {
		Error APIError `json:"error"`
	}
	r.JSON(t, &e)
	return e.Error
}

// Call makes an API call as token ("" for none) with an optional JSON body.
func (s *Stack) Call(t testing.TB, token, method, path string, body any) Response {
	t.Helper()
	return call(t, method, s.GatewayURL+path, body, token)
}

func call(t testing.TB, method, url string, body any, token string) Response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := &http.Client{Timeout: 2 * time.Minute}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: res.StatusCode, Body: b}
}

func mustJSON(t testing.TB, method, url string, body any, token string, v any) {
	t.Helper()
	r := call(t, method, url, body, token)
	if r.Status/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, url, r.Status, r.Body)
	}
	r.JSON(t, v)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
