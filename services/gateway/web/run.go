package web

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/gateway/audit"
)

// runView is the run form: values as typed, errors next to their fields,
// and a whole-form error (with Docker's own text) when no field is to blame.
type runView struct {
	V        runValues
	Errs     fieldErrors
	Err      *apierr.Error
	Rule     string // Err's rule in words
	Networks []string
	Volumes  []msg.Volume
	Images   []string // the caller's image tags, offered as the image
	// Patterns mirror pkg/names for the browser's own validation.
	NamePattern string
	NameMax     int
}

func (h *Handler) runForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := runValues{Restart: "no", Network: "default", RequestID: newRequestID(),
		Image: q.Get("image"), Name: q.Get("name")}
	h.render(w, http.StatusOK, "run", h.page(w, r, "Run a container", "run", h.runView(r, v, nil, nil)))
}

func (h *Handler) runView(r *http.Request, v runValues, errs fieldErrors, e *apierr.Error) runView {
	rv := runView{V: v, Errs: errs, Err: e, NamePattern: objectPattern, NameMax: names.ObjectMax,
		Networks: h.networks(r.Context())}
	rv.Volumes, _ = h.volumes(r.Context())
	if list, err := h.images.List(r.Context(), msg.ImageListRequest{}); err == nil {
		for _, i := range list.Images {
			rv.Images = append(rv.Images, i.Tags...)
		}
	}
	if e != nil {
		rv.Rule = ruleWords(e.Rule)
	}
	return rv
}

// run creates the container. The form's request id makes a double submit
// (or a retry after a slow answer) create it once.
func (h *Handler) run(w http.ResponseWriter, r *http.Request) {
	v := runValuesFrom(r.PostForm)
	if v.RequestID == "" {
		v.RequestID = newRequestID()
	}
	spec, errs := v.spec()
	if len(errs) > 0 {
		h.render(w, http.StatusUnprocessableEntity, "run", h.page(w, r, "Run a container", "run", h.runView(r, v, errs, nil)))
		return
	}
	h.audited(w, r, func(w http.ResponseWriter, r *http.Request) { h.create(w, r, v, spec) })
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request, v runValues, spec msg.ContainerSpec) {
	audit.SetTarget(r.Context(), "name="+spec.Name)
	c, err := h.api.CreateContainer(r.Context(), msg.ContainerCreate{RequestID: v.RequestID, Spec: spec})
	if err != nil {
		e := apierr.From(err)
		errs := fieldErrors{}
		var whole *apierr.Error
		if f := errorField(e); f != "" {
			errs[f] = &fieldError{Message: e.Message, Rule: e.Rule, Words: ruleWords(e.Rule)}
			if e.Docker != "" {
				whole = e // Docker's text has its own block
			}
		} else {
			whole = e
		}
		// A refused create made nothing: a corrected form may reuse the id
		// only if the runner did not record it, so take a fresh one.
		v.RequestID = newRequestID()
		h.render(w, e.HTTPStatus(), "run", h.page(w, r, "Run a container", "run", h.runView(r, v, errs, whole)))
		return
	}
	setFlash(w, "created", c.Name)
	http.Redirect(w, r, "/containers/"+url.PathEscape(c.Name), http.StatusSeeOther)
}

// errorField is the field a refusal concerns: by its rule, or a name
// conflict for the name field.
func errorField(e *apierr.Error) string {
	if f := ruleField(e.Rule); f != "" {
		return f
	}
	if e.Code == apierr.CodeConflict {
		return "name"
	}
	return ""
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "web-" + hex.EncodeToString(b)
}
