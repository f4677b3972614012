package stack

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/testenv"
	"github.com/dockeronline/platform/services/auth/authtest"
	"github.com/dockeronline/platform/services/auth/signup"
	gwapp "github.com/dockeronline/platform/services/gateway/app"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// StartAccounts brings the platform up as production wires accounts:
// browsers reach Kratos through the gateway's origin
// (<gateway>/.ory/kratos/public/, so Kratos' cookies and CSRF token are
// first-party there and its flows point at the gateway's pages), and Kratos
// calls the auth service's registration hook before it stores a new
// identity. Ports are chosen first, since Kratos must know both addresses
// when it starts.
func StartAccounts(t testing.TB) *Stack {
	t.Helper()
	docker := dockertest.Client(t)
	img := dockertest.BusyboxImage(t, docker)
	srv := natstest.Server(t)
	dsn := testenv.Postgres(t)
	gwAddr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	authAddr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	gw := "http://" + gwAddr
	opts := []testenv.KratosOption{testenv.WithDevMode(), testenv.WithUIURL(gw), testenv.WithPublicBaseURL(gw + gwapp.KratosPrefix + "/")}
	for name, value := range signup.KratosEnv("http://" + authAddr) {
		opts = append(opts, testenv.WithConfig(name, value))
	}
	k := testenv.StartKratos(t, testenv.NewDatabase(t, dsn), opts...)
	s := &Stack{Kratos: k, NATSURL: srv.ClientURL(), Docker: docker, Image: img, Admin: "admin-" + randomHex(4)}
	authtest.Start(t, authtest.Options{
		NATSURL: s.NATSURL, DatabaseURL: dsn, HTTPAddr: authAddr,
		KratosPublicURL: k.PublicURL, KratosAdminURL: k.AdminURL, BootstrapAdmin: s.AdminEmail(),
	})
	runnertest.Start(t, s.NATSURL)
	s.GatewayURL = startGatewayAt(t, s.NATSURL, k.PublicURL, gwAddr)
	return s
}

// AdminEmail is BOOTSTRAP_ADMIN: the bootstrap admin's e-mail address,
// honoured once verified (a username never makes an admin).
func (s *Stack) AdminEmail() string { return s.Admin + "@example.test" }

// RegisterAdmin registers the bootstrap admin (BOOTSTRAP_ADMIN), verifies
// its address as its owner would, and returns its session; the auth
// service makes it an admin at its first call.
func (s *Stack) RegisterAdmin(t testing.TB) User {
	t.Helper()
	u := s.Register(t, s.Admin)
	if err := s.Kratos.VerifyAddresses(u.UserID); err != nil {
		t.Fatal(err)
	}
	var me struct {
		Role string `json:"role"`
	}
	s.Call(t, u.Token, http.MethodGet, "/api/v1/me", nil).JSON(t, &me)
	if me.Role != "admin" {
		t.Fatalf("bootstrap admin %s has role %q", s.Admin, me.Role)
	}
	return u
}

// startGatewayAt runs the gateway on addr until the test ends.
func startGatewayAt(t testing.TB, natsURL, kratosPublicURL, addr string) string {
	t.Helper()
	cfg, err := gwapp.LoadConfig(config.FromMap(map[string]string{
		"NATS_URL": natsURL, "HTTP_ADDR": addr, "KRATOS_PUBLIC_URL": kratosPublicURL, "METRICS_ADDR": "127.0.0.1:0",
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan string, 1)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	go func() { done <- gwapp.Run(ctx, cfg, log, ready) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("gateway did not start on %s: %v", addr, err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("gateway did not start within 30s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("gateway stopped with error: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("gateway did not stop within 30s")
		}
	})
	return "http://" + addr
}
