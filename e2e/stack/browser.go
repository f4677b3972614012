package stack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/testenv"
	"github.com/dockeronline/platform/services/auth/authtest"
	"github.com/dockeronline/platform/services/auth/signup"
	gwapp "github.com/dockeronline/platform/services/gateway/app"
	proxyapp "github.com/dockeronline/platform/services/proxy/app"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// Web is the platform as a browser sees it: StartAccounts' wiring (Kratos
// behind the gateway's origin, its flows pointing at the gateway's pages)
// plus the web-link proxy, whose links the gateway's pages show.
type Web struct {
	*Stack
	// AppsDomain and ProxyURL: a container's link is
	// http://<name>--<user>.<AppsDomain>:<proxy port>/.
	AppsDomain string
	ProxyURL   string
}

// StartWeb brings the platform up for browser tests; runnerEnv overrides
// the runner's settings (e.g. RUNNER_BUILDKIT_ADDR).
func StartWeb(t testing.TB, runnerEnv ...map[string]string) *Web {
	t.Helper()
	docker := dockertest.Client(t)
	img := dockertest.BusyboxImage(t, docker)
	srv := natstest.Server(t)
	dsn := testenv.Postgres(t)
	gwAddr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	authAddr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	proxyPort := testenv.FreePort(t)
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
		// The admin signs up in the browser and is made admin once the
		// test verifies their address: a short cache lets the next page see it.
		CacheTTL: "1s",
	})
	w := &Web{Stack: s, AppsDomain: "apps.localhost", ProxyURL: "http://127.0.0.1:" + strconv.Itoa(proxyPort)}
	runnertest.Start(t, s.NATSURL, append([]map[string]string{{
		"RUNNER_PULL_INTERNAL_REGISTRIES": "127.0.0.1", // the tests' loopback registries
		// The links in a deploy's notes, as the gateway writes them.
		"APPS_DOMAIN": w.AppsDomain, "APPS_PORT": strconv.Itoa(proxyPort),
	}}, runnerEnv...)...)
	startProxy(t, s.NATSURL, w.AppsDomain, gw, fmt.Sprintf("127.0.0.1:%d", proxyPort))
	s.GatewayURL = startGatewayEnv(t, gwAddr, map[string]string{
		"NATS_URL": s.NATSURL, "HTTP_ADDR": gwAddr, "KRATOS_PUBLIC_URL": k.PublicURL,
		"APPS_DOMAIN": w.AppsDomain, "APPS_PORT": strconv.Itoa(proxyPort), "METRICS_ADDR": "127.0.0.1:0",
	})
	return w
}

// startGatewayEnv runs the gateway with env on addr until the test ends.
func startGatewayEnv(t testing.TB, addr string, env map[string]string) string {
	t.Helper()
	cfg, err := gwapp.LoadConfig(config.FromMap(env))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	run(t, "gateway", func(ctx context.Context, ready chan<- string) error { return gwapp.Run(ctx, cfg, log, ready) })
	return "http://" + addr
}

// startProxy runs the web-link proxy (route feeder, route watcher and the
// public listener on addr) until the test ends, as its main does.
func startProxy(t testing.TB, natsURL, domain, gatewayURL, addr string) {
	t.Helper()
	cfg, err := proxyapp.LoadConfig(config.FromMap(map[string]string{
		"NATS_URL": natsURL, "PROXY_ADDR": addr, "APPS_DOMAIN": domain, "GATEWAY_URL": gatewayURL,
	}))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	nc, err := nats.Connect(natsURL, nats.Name("proxy"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	svc, err := proxyapp.New(cfg, nc, log)
	if err != nil {
		t.Fatal(err)
	}
	run(t, "proxy", func(ctx context.Context, ready chan<- string) error {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		srv := svc.PublicServer(nil)
		errs := make(chan error, 3)
		go func() { errs <- svc.Feeder.Run(ctx) }()
		go func() { errs <- svc.Watcher.Run(ctx) }()
		go func() { errs <- srv.Serve(ln) }()
		ready <- ln.Addr().String()
		var first error
		select {
		case first = <-errs:
		case <-ctx.Done():
		}
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		if first != nil && !errors.Is(first, context.Canceled) && !errors.Is(first, http.ErrServerClosed) {
			return first
		}
		return nil
	})
}

// run starts a service in-process, waits until it serves and stops it
// when the test ends.
func run(t testing.TB, name string, serve func(ctx context.Context, ready chan<- string) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan string, 1)
	go func() { done <- serve(ctx, ready) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("%s did not start: %v", name, err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("%s did not start within 30s", name)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("%s stopped with error: %v", name, err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("%s did not stop within 30s", name)
		}
	})
}
