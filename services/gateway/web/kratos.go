package web

import (
	"context"
	"net/http"
	"net/url"
	"time"

	ory "github.com/ory/kratos-client-go"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/services/gateway/authn"
)

// newKratos is a client of Kratos' public API, reached directly from the
// gateway (the browser reaches the same API through the gateway's
// /.ory/kratos/public/ prefix).
func newKratos(publicURL string) ory.FrontendAPI {
	cfg := ory.NewConfiguration()
	cfg.Servers = ory.ServerConfigurations{{URL: publicURL}}
	cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second, Transport: otelhttp.NewTransport(http.DefaultTransport)}
	cfg.UserAgent = "dockeronline-gateway"
	return ory.NewAPIClient(cfg).FrontendAPI
}

// flowKind is one of Kratos' self-service browser flows the UI renders.
type flowKind struct {
	name  string // login, registration, …: the page path and Kratos' path
	title string
	intro string
	// fetch gets the flow's UI from Kratos; the browser's Cookie header is
	// forwarded because browser flows are bound to Kratos' CSRF cookie.
	fetch func(ctx context.Context, k ory.FrontendAPI, id, cookie string) (*ory.UiContainer, *http.Response, error)
}

var (
	loginFlow = flowKind{name: "login", title: "Sign in", intro: "Welcome back. Sign in with your e-mail address or username.",
		fetch: func(ctx context.Context, k ory.FrontendAPI, id, cookie string) (*ory.UiContainer, *http.Response, error) {
			f, res, err := k.GetLoginFlow(ctx).Id(id).Cookie(cookie).Execute()
			return uiOf(f, err, func() *ory.UiContainer { return &f.Ui }), res, err
		}}
	registrationFlow = flowKind{name: "registration", title: "Create your account", intro: "One account gives you containers, a terminal, web links and a Linux account on the Docker host.",
		fetch: func(ctx context.Context, k ory.FrontendAPI, id, cookie string) (*ory.UiContainer, *http.Response, error) {
			f, res, err := k.GetRegistrationFlow(ctx).Id(id).Cookie(cookie).Execute()
			return uiOf(f, err, func() *ory.UiContainer { return &f.Ui }), res, err
		}}
	settingsFlow = flowKind{name: "settings", title: "Account settings", intro: "Change your profile or your password.",
		fetch: func(ctx context.Context, k ory.FrontendAPI, id, cookie string) (*ory.UiContainer, *http.Response, error) {
			f, res, err := k.GetSettingsFlow(ctx).Id(id).Cookie(cookie).Execute()
			return uiOf(f, err, func() *ory.UiContainer { return &f.Ui }), res, err
		}}
	recoveryFlow = flowKind{name: "recovery", title: "Recover your account", intro: "Enter your e-mail address: we send you a code to sign in and set a new password.",
		fetch: func(ctx context.Context, k ory.FrontendAPI, id, cookie string) (*ory.UiContainer, *http.Response, error) {
			f, res, err := k.GetRecoveryFlow(ctx).Id(id).Cookie(cookie).Execute()
			return uiOf(f, err, func() *ory.UiContainer { return &f.Ui }), res, err
		}}
	verificationFlow = flowKind{name: "verification", title: "Verify your e-mail address", intro: "Enter the code we sent to your e-mail address.",
		fetch: func(ctx context.Context, k ory.FrontendAPI, id, cookie string) (*ory.UiContainer, *http.Response, error) {
			f, res, err := k.GetVerificationFlow(ctx).Id(id).Cookie(cookie).Execute()
			return uiOf(f, err, func() *ory.UiContainer { return &f.Ui }), res, err
		}}
)

func uiOf[F any](f *F, err error, ui func() *ory.UiContainer) *ory.UiContainer {
	if err != nil || f == nil {
		return nil
	}
	return ui()
}

// flowPage renders a flow's form; the form posts straight to Kratos (the
// flow's ui.action, on this origin under the Kratos prefix), which
// redirects back here with the same flow id and its messages on error.
// No flow id, or one Kratos no longer knows (expired, or created for
// another browser), starts a new flow.
func (h *Handler) flowPage(kind flowKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("flow")
		if id == "" {
			h.startFlow(w, r, kind)
			return
		}
		ui, res, err := kind.fetch(r.Context(), h.kratos, id, r.Header.Get("Cookie"))
		if err != nil {
			if restartable(res) {
				h.startFlow(w, r, kind)
				return
			}
			if res != nil && res.StatusCode == http.StatusUnauthorized && kind.name == "settings" {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			h.fail(w, r, kratosError(kind.name, res, err))
			return
		}
		v, signedIn := h.optionalViewer(r)
		data := flowView{Kind: kind.name, Title: kind.title, Intro: kind.intro, Messages: texts(ui.Messages), Forms: forms(*ui)}
		p := h.page(w, r, kind.title, "", data)
		p.Bare = !signedIn
		if signedIn {
			p.User = &v.Session
			p.CSRF = h.csrf.token(v.cookie)
		}
		h.render(w, http.StatusOK, "flow", p)
	}
}

// flowView is what the flow template shows.
type flowView struct {
	Kind     string
	Title    string
	Intro    string
	Messages []textView
	Forms    []formView
}

// startFlow asks Kratos (through the browser, which must hold the CSRF
// cookie Kratos sets) for a new flow; Kratos redirects back with its id.
func (h *Handler) startFlow(w http.ResponseWriter, r *http.Request, kind flowKind) {
	u := h.kratosBrowser + "/self-service/" + kind.name + "/browser"
	if rt := r.URL.Query().Get("return_to"); rt != "" {
		u += "?" + url.Values{"return_to": {rt}}.Encode()
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// restartable: the flow expired (410), is unknown (404), or belongs to
// another browser (403, Kratos' CSRF check): a new flow is the way out.
func restartable(res *http.Response) bool {
	if res == nil {
		return false
	}
	switch res.StatusCode {
	case http.StatusGone, http.StatusNotFound, http.StatusForbidden, http.StatusBadRequest:
		return true
	}
	return false
}

func kratosError(what string, res *http.Response, err error) error {
	if res == nil {
		return apierr.New(apierr.CodeUnavailable, "the identity service is not reachable (%s): %v", what, err)
	}
	return apierr.New(apierr.CodeUnavailable, "the identity service refused the %s page (HTTP %d)", what, res.StatusCode)
}

// flowError shows one of Kratos' self-service errors (/error?id=…).
func (h *Handler) flowError(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	msg := "Something went wrong while signing in."
	if id != "" {
		fe, _, err := h.kratos.GetFlowError(r.Context()).Id(id).Execute()
		if err == nil && fe != nil {
			msg = describeFlowError(fe.Error)
		}
	}
	h.fail(w, r, &apierr.Error{Code: apierr.CodeInvalid, Message: msg})
}

func describeFlowError(e map[string]any) string {
	var parts []string
	for _, k := range []string{"message", "reason"} {
		if s, ok := e[k].(string); ok && s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return "Something went wrong while signing in."
	}
	if len(parts) == 2 && parts[0] != parts[1] {
		return parts[0] + ": " + parts[1]
	}
	return parts[0]
}

// logout asks Kratos for a logout URL bound to this browser's session and
// sends the browser there; Kratos ends the session and returns to /login.
// It is a POST with the UI's CSRF token, so no other site can sign a user
// out.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	lf, res, err := h.kratos.CreateBrowserLogoutFlow(r.Context()).Cookie(r.Header.Get("Cookie")).Execute()
	if err != nil {
		if res != nil && res.StatusCode == http.StatusUnauthorized {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		h.fail(w, r, kratosError("sign-out", res, err))
		return
	}
	http.Redirect(w, r, lf.LogoutUrl, http.StatusSeeOther)
}

// optionalViewer resolves the session of a page that signed-out visitors
// may see too (the Kratos pages): signed in, they keep the navigation.
func (h *Handler) optionalViewer(r *http.Request) (viewer, bool) {
	c, err := r.Cookie(authn.KratosSessionCookie)
	if err != nil || c.Value == "" {
		return viewer{}, false
	}
	s, err := authn.Resolve(r.Context(), h.nc, authn.Credentials(r))
	if err != nil {
		return viewer{}, false
	}
	return viewer{Session: s, cookie: c.Value}, true
}
