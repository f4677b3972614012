package app

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/metrics"
	"github.com/dockeronline/platform/pkg/natstest"
)

// TestOpenAPIMatchesTheRoutes: docs/openapi.json documents exactly the
// routes the gateway serves under /api/v1 — a new route without its
// documentation, or documentation of a route that is gone, fails here.
func TestOpenAPIMatchesTheRoutes(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}

	nc := natstest.Connect(t, natstest.Server(t))
	cfg, err := LoadConfig(config.FromMap(map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Routes(cfg, nc, nil, metrics.NewRegistry("gateway"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	err = chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if p, ok := strings.CutPrefix(route, "/api/v1"); ok {
			// chi's catch-all "/images/*" is the documented "/images/{ref}".
			served[method+" "+strings.Replace(p, "/*", "/{ref}", 1)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(served) < 30 {
		t.Fatalf("only %d API routes found; the walk is broken", len(served))
	}
	for _, k := range diff(served, documented) {
		t.Errorf("served but not documented: %s", k)
	}
	for _, k := range diff(documented, served) {
		t.Errorf("documented but not served: %s", k)
	}
}

func diff(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
