package edge

import (
	"log/slog"
	"os"

	"github.com/dockeronline/platform/services/proxy/routes"
)

const testDomain = "apps.localhost"

var testSecret = []byte("test-link-secret-0123456789abcdef")

func goodRoute(label, target string) routes.Route {
	return routes.Route{Label: label, Target: target, Owner: "uid-alice", Username: "alice", Name: "web", ContainerID: "c1", Port: 80, Primary: true}
}

func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
