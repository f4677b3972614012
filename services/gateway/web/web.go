// Package web is the gateway's web UI: server-rendered html/template pages
// with embedded CSS, JavaScript and images, no build step. Pages call the
// API's go-kit service in-process (never the gateway's own HTTP API) and
// render Kratos' self-service flows. Every page gets a strict CSP (no
// inline script or style), every form of the UI's own a CSRF token bound
// to the session; script only adds what needs it: live lists, logs,
// confirmation dialogs, the theme switch.
package web

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/nats-io/nats.go"
	ory "github.com/ory/kratos-client-go"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/services/gateway/admin"
	"github.com/dockeronline/platform/services/gateway/api"
	"github.com/dockeronline/platform/services/gateway/builds"
	"github.com/dockeronline/platform/services/gateway/images"
	"github.com/dockeronline/platform/services/gateway/stacks"
)

// Deps are what the UI talks to.
type Deps struct {
	API api.Service
	NC  *nats.Conn
	// KratosPublicURL is Kratos' public API as the gateway reaches it.
	KratosPublicURL string
	// KratosBrowserPath is where browsers reach the same API on the
	// gateway's origin (the reverse-proxy prefix, "/.ory/kratos/public").
	KratosBrowserPath string
	// Admin is the admin API's service; nil hides user management.
	Admin admin.Service
	// Images is the image API's service.
	Images images.Service
	// Builds is the build API's service; nil: a Dockerfile-only build
	// service on NC (the UI uploads no contexts).
	Builds builds.Service
	// Stacks is the stack API's service; nil: one on NC, with the web
	// links of Config (the UI uploads no projects).
	Stacks stacks.Service
	// Audit records state-changing requests (the gateway's audit
	// middleware); nil records nothing.
	Audit func(http.Handler) http.Handler
	Log   *slog.Logger
}

// Handler serves the UI.
type Handler struct {
	cfg           Config
	api           api.Service
	admin         admin.Service
	images        images.Service
	builds        builds.Service
	stacks        stacks.Service
	audit         func(http.Handler) http.Handler
	nc            *nats.Conn
	kratos        ory.FrontendAPI
	kratosBrowser string
	csrf          csrf
	cop           *http.CrossOriginProtection
	csp           string
	tpl           *templates
	log           *slog.Logger
}

// New builds the UI; it fails only if its embedded templates do not parse.
func New(cfg Config, d Deps) (*Handler, error) {
	tpl, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	h := &Handler{
		cfg:           cfg,
		api:           d.API,
		admin:         d.Admin,
		images:        d.Images,
		builds:        d.Builds,
		stacks:        d.Stacks,
		audit:         d.Audit,
		nc:            d.NC,
		kratos:        newKratos(d.KratosPublicURL),
		kratosBrowser: strings.TrimSuffix(d.KratosBrowserPath, "/"),
		csrf:          csrf{key: cfg.Secret},
		cop:           http.NewCrossOriginProtection(),
		tpl:           tpl,
		log:           log,
	}
	if d.NC == nil {
		return nil, errors.New("web: Deps.NC is required")
	}
	// Every section is served: what the router did not hand over is made
	// on the same connection.
	if h.images == nil {
		h.images = images.New(d.NC)
	}
	if h.builds == nil {
		h.builds = builds.New(d.NC, nil)
	}
	if h.stacks == nil {
		h.stacks = stacks.New(d.NC, nil, stacks.Links{Domain: cfg.AppsDomain, URLTemplate: cfg.AppsURLTemplate})
	}
	h.csp = CSP(formTargets(d.KratosBrowserPath)...)
	return h, nil
}

// formTargets: Kratos' forms post to its public API; on the gateway's
// origin (a path) 'self' covers it, on another origin that origin is added.
func formTargets(kratosBrowser string) []string {
	u, err := url.Parse(kratosBrowser)
	if err != nil || u.Host == "" {
		return nil
	}
	return []string{u.Scheme + "://" + u.Host}
}

// Mount adds the UI's routes to r, beside the API (/api/v1), health and
// the Kratos proxy, which it leaves alone.
func (h *Handler) Mount(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(SecurityHeaders(h.csp))
		r.Handle("/static/*", staticHandler())
		r.Get("/favicon.ico", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, asset("icon.svg"), http.StatusMovedPermanently)
		})
		for _, f := range []flowKind{loginFlow, registrationFlow, settingsFlow, recoveryFlow, verificationFlow} {
			r.Get("/"+f.name, h.flowPage(f))
		}
		r.Get("/error", h.flowError)

		r.Group(func(r chi.Router) {
			r.Use(h.signedIn, h.protect)
			r.Post("/logout", h.logout)
			r.Get("/", h.dashboard)
			r.Get("/containers", h.containerList)
			r.Get("/run", h.runForm)
			r.Post("/run", h.run)
			r.Get("/containers/{name}", h.containerPage)
			r.Post("/containers/{name}/{action}", h.containerAction)
			r.Get("/fragments/dashboard", h.dashboardFragment)
			r.Get("/fragments/containers", h.containerRowsFragment)
			r.Get("/fragments/containers/{name}", h.containerPanelFragment)
			r.Get("/images", h.imagesPage)
			r.Post("/images/pull", h.pull)
			r.Post("/images/remove", h.removeImage)
			r.Get("/fragments/images", h.imagesFragment)
			r.Get("/volumes", h.volumesPage)
			r.Post("/volumes", h.createVolume)
			r.Post("/volumes/remove", h.removeVolume)
			r.Get("/builds", h.buildsPage)
			r.Post("/builds", h.startBuild)
			r.Get("/stacks", h.stacksPage)
			r.Post("/stacks", h.deployStack)
			r.Post("/stacks/down", h.downStack)
			r.Post("/stacks/variables", h.listStackVars)
			r.Get("/fragments/stacks", h.stacksFragment)
			r.Group(func(r chi.Router) {
				r.Use(h.adminOnly)
				h.mountAdmin(r)
			})
		})
	})
	r.NotFound(SecurityHeaders(h.csp)(http.HandlerFunc(h.notFound)).ServeHTTP)
	r.MethodNotAllowed(SecurityHeaders(h.csp)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, &apierr.Error{Code: apierr.CodeInvalid, Message: r.Method + " is not allowed on " + r.URL.Path + "."})
	})).ServeHTTP)
}
