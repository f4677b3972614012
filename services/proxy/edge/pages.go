package edge

import (
	"bytes"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
)

// Pages are the proxy's own answers: clear HTML, never a raw Go error.

//go:embed templates/*.html
var templateFS embed.FS

// page names (templates/<name>.html).
const (
	pageNotFound     = "notfound"
	pageUnavailable  = "unavailable"
	pageForbidden    = "forbidden"
	pageSignIn       = "signin"
	pageBadLink      = "badlink"
	pageUnconfigured = "unconfigured"
)

var pageTitles = map[string]string{
	pageNotFound:     "No such app",
	pageUnavailable:  "App not responding",
	pageForbidden:    "Private link",
	pageSignIn:       "Sign-in required",
	pageBadLink:      "Invalid link",
	pageUnconfigured: "Private links unavailable",
}

var pages = func() map[string]*template.Template {
	out := map[string]*template.Template{}
	for name := range pageTitles {
		out[name] = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return out
}()

// pageData is what every page template may show.
type pageData struct {
	Status int
	Title  string
	Host   string // the host name asked for
	Domain string // the apps domain
	Name   string // the container's name
	Port   string // the container's port
	Link   string // a button's target
}

// renderPage writes the named page with status. Pages are never cached: the
// same host may answer a moment later.
func renderPage(w http.ResponseWriter, log *slog.Logger, status int, name string, d pageData) {
	d.Status, d.Title = status, pageTitles[name]
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout.html", d); err != nil {
		log.Error("render page", "page", name, "err", err)
		http.Error(w, http.StatusText(status), status)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
