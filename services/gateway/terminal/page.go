package terminal

import (
	"embed"
	"html/template"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/gateway/authn"
	"github.com/dockeronline/platform/services/gateway/httpx"
)

//go:embed assets
var assets embed.FS

var page = template.Must(template.ParseFS(assets, "assets/page.html"))

// csp allows only the gateway's own scripts (no inline script). xterm's DOM
// renderer writes <style> elements, hence 'unsafe-inline' for styles only.
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// PageRoutes mounts the terminal page (behind the session cookie) and its
// static files: the page's own script and style, and xterm.js from XTERM_DIR.
func PageRoutes(r chi.Router, nc *nats.Conn, cfg Config, log *slog.Logger) {
	v := &vendor{dir: cfg.XtermDir}
	r.Get("/static/vendor/xterm/xterm.js", v.serveJS)
	r.Get("/static/vendor/xterm/xterm.css", v.serveCSS)
	r.Get("/static/terminal/{file}", serveAsset)
	r.With(authn.Middleware(nc)).Get("/containers/{name}/terminal", servePage(log))
}

func servePage(log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := chi.URLParam(r, "name")
		if err := names.ValidateObject("container", name); err != nil {
			httpx.WriteError(w, apierr.NotFound("container %q not found", name))
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", csp)
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if err := page.Execute(w, struct{ Name, Owner string }{name, r.URL.Query().Get("owner")}); err != nil {
			log.WarnContext(r.Context(), "terminal page", "err", err)
		}
	}
}

var assetTypes = map[string]string{
	"terminal.js":  "text/javascript; charset=utf-8",
	"terminal.css": "text/css; charset=utf-8",
}

func serveAsset(w http.ResponseWriter, r *http.Request) {
	file := chi.URLParam(r, "file")
	ct, ok := assetTypes[file]
	if !ok {
		http.NotFound(w, r)
		return
	}
	b, err := assets.ReadFile("assets/" + file)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}
