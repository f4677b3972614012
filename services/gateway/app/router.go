package app

import (
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
	chimw "github.com/go-chi/chi/v5/middleware"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/trace"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/health"
	"github.com/dockeronline/platform/pkg/metrics"
	"github.com/dockeronline/platform/pkg/telemetry"
	"github.com/dockeronline/platform/services/gateway/admin"
	"github.com/dockeronline/platform/services/gateway/api"
	"github.com/dockeronline/platform/services/gateway/audit"
	"github.com/dockeronline/platform/services/gateway/authn"
	"github.com/dockeronline/platform/services/gateway/builds"
	"github.com/dockeronline/platform/services/gateway/events"
	"github.com/dockeronline/platform/services/gateway/httpx"
	"github.com/dockeronline/platform/services/gateway/images"
	"github.com/dockeronline/platform/services/gateway/jobs"
	"github.com/dockeronline/platform/services/gateway/linkauth"
	"github.com/dockeronline/platform/services/gateway/loginlimit"
	"github.com/dockeronline/platform/services/gateway/logs"
	"github.com/dockeronline/platform/services/gateway/ratelimit"
	"github.com/dockeronline/platform/services/gateway/stacks"
	"github.com/dockeronline/platform/services/gateway/terminal"
	"github.com/dockeronline/platform/services/gateway/web"
)

// KratosPrefix is where Kratos' public API is served on the gateway's origin.
const KratosPrefix = "/.ory/kratos/public"

// Router builds the gateway's whole HTTP surface. Each feature mounts its
// own routes here, in one place, so the surface is readable at a glance.
func Router(cfg Config, nc *nats.Conn, checks health.Checks, reg *metrics.Registry, log *slog.Logger) (http.Handler, error) {
	r, err := Routes(cfg, nc, checks, reg, log)
	if err != nil {
		return nil, err
	}
	return telemetry.ServiceHandler("gateway", otelhttp.NewHandler(r, "gateway")), nil
}

// Routes is the gateway's route tree before tracing wraps it; the OpenAPI
// test walks it. reg counts its requests; it is served on METRICS_ADDR,
// never here (the public listener).
func Routes(cfg Config, nc *nats.Conn, checks health.Checks, reg *metrics.Registry, log *slog.Logger) (*chi.Mux, error) {
	kratosURL, err := url.Parse(cfg.KratosPublicURL)
	if err != nil {
		return nil, err
	}
	r := chi.NewRouter()
	r.Use(reg.HTTPMiddleware(routePattern)) // outermost: counts the 500 of a recovered panic
	r.Use(chimw.Recoverer, nameSpan)
	hm := health.Handler(checks)
	r.Handle("/healthz", hm)
	r.Handle("/readyz", hm)
	r.Get("/auth/link", linkauth.Handler(nc, cfg.Link, log))
	// Sign-ins are counted per address and identifier; repeated failures lock out (loginlimit).
	r.Handle(KratosPrefix+"/*", loginlimit.New(cfg.Login).Wrap(http.StripPrefix(KratosPrefix, kratosProxy(kratosURL))))
	auditor, err := audit.New(nc, log)
	if err != nil {
		return nil, err
	}

	terminal.PageRoutes(r, nc, cfg.Terminal, log)
	svc := api.Logging(log)(api.New(nc))
	r.Route("/api/v1", func(r chi.Router) {
		// Browsers' cross-site POSTs are refused whatever cookies they
		// carry; API clients with bearer tokens send no Sec-Fetch-Site.
		r.Use(http.NewCrossOriginProtection().Handler)
		r.Use(authn.Middleware(nc))
		r.Use(ratelimit.New(cfg.RateLimit).Middleware)
		r.Use(auditor.Middleware) // every state-changing call, after authentication
		r.Route("/admin", func(r chi.Router) { admin.Routes(r, admin.MakeEndpoints(admin.Logging(log)(admin.New(nc)))) })
		api.Routes(r, api.MakeEndpoints(svc))
		r.Get("/events", events.Handler(nc, log))
		terminal.Routes(r, nc, cfg.Terminal, log)
		logs.Routes(r, nc, log)
		r.Group(func(r chi.Router) { jobs.Routes(r, nc, log); images.Routes(r, nc, log) })
		r.Group(func(r chi.Router) {
			builds.Routes(r, nc, cfg.Uploads, log)
			stacks.Routes(r, nc, cfg.Uploads, stacks.Links{Domain: cfg.Web.AppsDomain, URLTemplate: cfg.Web.AppsURLTemplate}, log)
		})
		r.NotFound(func(w http.ResponseWriter, r *http.Request) {
			httpx.WriteError(w, apierr.NotFound("no API route %s %s", r.Method, r.URL.Path))
		})
		r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
			httpx.WriteJSON(w, http.StatusMethodNotAllowed, map[string]*apierr.Error{"error": apierr.Invalid("%s is not allowed on %s", r.Method, r.URL.Path)})
		})
	})
	ui, err := web.New(cfg.Web, web.Deps{API: svc, NC: nc, KratosPublicURL: cfg.KratosPublicURL, KratosBrowserPath: KratosPrefix,
		Admin: admin.Logging(log)(admin.New(nc)), Images: images.Logging(log)(images.New(nc)), Audit: auditor.Middleware, Log: log})
	if err != nil {
		return nil, err
	}
	ui.Mount(r)
	return r, nil
}

// nameSpan names the request's span after the matched route pattern (known
// only once chi has routed), so traces group by route, not by raw path.
func nameSpan(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		if rc := chi.RouteContext(r.Context()); rc != nil {
			if p := rc.RoutePattern(); p != "" {
				trace.SpanFromContext(r.Context()).SetName(r.Method + " " + p)
			}
		}
	})
}

// kratosProxy forwards browser self-service calls to Kratos' public API, so
// Kratos' cookies are first-party on the gateway's origin.
func kratosProxy(target *url.URL) http.Handler {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.URL.Path = "/" + strings.TrimPrefix(pr.Out.URL.Path, "/")
			pr.SetXForwarded()
		},
	}
}
