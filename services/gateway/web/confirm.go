package web

import (
	"net/http"
)

// confirmView is the confirmation page a destructive action shows when
// the browser did not confirm it already (no script, or a direct post).
type confirmView struct {
	Question string
	Action   string
	Button   string
	Cancel   string
	Hidden   map[string]string
}

// confirmed reports whether a destructive post was confirmed. If not, it
// answers with a page that asks, whose form posts the same fields again
// with confirmed=yes; the page's script usually asks in a dialog first
// and sends confirmed=yes itself.
func (h *Handler) confirmed(w http.ResponseWriter, r *http.Request, question, button, cancel string, keep ...string) bool {
	if r.PostFormValue("confirmed") == "yes" {
		return true
	}
	v, _ := viewerFrom(r.Context())
	hidden := map[string]string{CSRFField: h.csrf.token(v.cookie), "confirmed": "yes"}
	for _, k := range keep {
		if val := r.PostFormValue(k); val != "" {
			hidden[k] = val
		}
	}
	h.render(w, http.StatusOK, "confirm", h.page(w, r, "Confirm", "", confirmView{
		Question: question, Action: r.URL.Path, Button: button, Cancel: cancel, Hidden: hidden,
	}))
	return false
}

// audited runs next under the gateway's audit middleware, when there is
// one: the UI's actions are recorded like the API's. Only the acting step
// is wrapped; a confirmation page changes nothing and is not recorded.
func (h *Handler) audited(w http.ResponseWriter, r *http.Request, next http.HandlerFunc) {
	if h.audit == nil {
		next(w, r)
		return
	}
	h.audit(next).ServeHTTP(w, r)
}
