package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
)

//go:embed templates
var templateFS embed.FS

// templates holds one template set per page: the layout and the partials
// (shared blocks, also rendered alone as live fragments), plus the page's
// own "content".
type templates struct{ pages map[string]*template.Template }

func parseTemplates() (*templates, error) {
	base, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return nil, err
	}
	files, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	t := &templates{pages: map[string]*template.Template{}}
	for _, f := range files {
		set, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := set.ParseFS(templateFS, f); err != nil {
			return nil, err
		}
		t.pages[strings.TrimSuffix(path.Base(f), ".html")] = set
	}
	return t, nil
}

// page is what every page template gets; Data is the page's own.
type page struct {
	Title string
	Nav   string // the navigation entry to mark as current
	User  *msg.Session
	CSRF  string
	Flash string
	// Bare pages (sign-in, sign-up) have no navigation.
	Bare bool
	Data any
}

// page fills the common part of a page for the signed-in viewer, if any,
// and takes the one-time flash message.
func (h *Handler) page(w http.ResponseWriter, r *http.Request, title, nav string, data any) page {
	p := page{Title: title, Nav: nav, Data: data, Flash: takeFlash(w, r)}
	if v, ok := viewerFrom(r.Context()); ok {
		p.User = &v.Session
		p.CSRF = h.csrf.token(v.cookie)
	}
	return p
}

// render writes a whole page. It renders into a buffer first, so a
// template error is a clean 500, not half a page.
func (h *Handler) render(w http.ResponseWriter, status int, name string, p page) {
	h.execute(w, status, name, "layout", p)
}

// fragment writes one named block of a page alone (live updates).
func (h *Handler) fragment(w http.ResponseWriter, page, block string, data any) {
	h.execute(w, http.StatusOK, page, block, data)
}

func (h *Handler) execute(w http.ResponseWriter, status int, name, block string, data any) {
	set, ok := h.tpl.pages[name]
	if !ok {
		h.log.Error("web: no such page template", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := set.ExecuteTemplate(&buf, block, data); err != nil {
		h.log.Error("web: render", "page", name, "block", block, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// errorView is what the error page shows.
type errorView struct {
	Status int
	Err    *apierr.Error
	Rule   string // the rule, in words
	CSRF   bool
}

// fail shows err on an error page with its status (a live fragment gets a
// short text instead).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := apierr.From(err)
	status := e.HTTPStatus()
	if status >= 500 {
		h.log.Error("web: page failed", "path", r.URL.Path, "err", err)
	}
	if r.Header.Get("X-Fragment") != "" {
		http.Error(w, e.Message, status)
		return
	}
	title := "Something went wrong"
	switch e.Code {
	case apierr.CodeNotFound:
		title = "Not found"
	case apierr.CodeForbidden, apierr.CodePolicy, apierr.CodeQuota:
		title = "Not allowed"
	case apierr.CodeUnavailable, apierr.CodeTimeout:
		title = "Temporarily unavailable"
	}
	p := h.page(w, r, title, "", errorView{Status: status, Err: e, Rule: ruleWords(e.Rule), CSRF: isCSRF(err)})
	p.Bare = p.User == nil
	h.render(w, status, "error", p)
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	v, ok := h.optionalViewer(r)
	if ok {
		r = r.WithContext(withViewer(r.Context(), v))
	}
	h.fail(w, r, apierr.NotFound("There is no page at %s.", r.URL.Path))
}

// flash is a one-time message shown on the page after a redirect. The
// cookie holds a code and an object name, never text: a cookie planted by
// another site can at worst pick one of these sentences.
const flashCookie = "dol_flash"

var flashes = map[string]string{
	"created":        "Container %s is running.",
	"started":        "Container %s started.",
	"stopped":        "Container %s stopped.",
	"restarted":      "Container %s restarted.",
	"removed":        "Container %s was deleted.",
	"user-deleted":   "User %s was deleted.",
	"user-created":   "User %s was created.",
	"user-updated":   "User %s was updated.",
	"volume-created": "Volume %s was created.",
	"volume-removed": "Volume %s was deleted.",
	"image-removed":  "Image %s was removed.",
	"stack-down":     "Stack %s was taken down.",
	"image-unlisted": "Image %s was removed from your list; other users still use it, so it stays on the host.",
}

func setFlash(w http.ResponseWriter, code, name string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: code + "." + name, Path: "/",
		MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	code, name, _ := strings.Cut(c.Value, ".")
	f, ok := flashes[code]
	if !ok || !(safeName(name) || strings.HasPrefix(code, "image-") && safeRef(name)) {
		return ""
	}
	return fmt.Sprintf(f, name)
}

// safeName accepts what a flash may name: an object or user name.
func safeName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// safeRef accepts what a flash may name as an image reference.
func safeRef(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._/:@-", c) >= 0) {
			return false
		}
	}
	return true
}
