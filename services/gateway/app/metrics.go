package app

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// routePattern is the metrics' route label: chi's matched pattern
// (/api/v1/containers/{name}), never the raw path, so the number of series
// stays bounded whatever names users choose. "" when nothing matched.
func routePattern(r *http.Request) string {
	return chi.RouteContext(r.Context()).RoutePattern()
}
