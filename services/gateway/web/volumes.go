package web

import (
	"net/http"
	"sort"
	"strings"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/gateway/audit"
)

// volumesView is the volumes page: the caller's named volumes, which
// containers mount them, a form to create one.
type volumesView struct {
	Volumes     []msg.Volume
	Err         *apierr.Error // the list failed
	New         string        // the create form's name, as typed
	NewErr      *apierr.Error
	Rule        string
	NamePattern string
}

func (h *Handler) volumesPage(w http.ResponseWriter, r *http.Request) {
	h.renderVolumes(w, r, http.StatusOK, volumesView{})
}

func (h *Handler) renderVolumes(w http.ResponseWriter, r *http.Request, status int, v volumesView) {
	list, err := h.api.ListVolumes(r.Context(), msg.VolumeListRequest{})
	if err != nil {
		v.Err = apierr.From(err)
	}
	v.Volumes = list.Volumes
	sort.Slice(v.Volumes, func(i, j int) bool { return v.Volumes[i].Name < v.Volumes[j].Name })
	v.NamePattern = objectPattern
	if v.NewErr != nil {
		v.Rule = ruleWords(v.NewErr.Rule)
	}
	h.render(w, status, "volumes", h.page(w, r, "Volumes", "volumes", v))
}

func (h *Handler) createVolume(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	if err := names.ValidateObject("volume", name); err != nil {
		e := apierr.Invalid("%v", err)
		if ne, ok := err.(*names.Error); ok {
			e.Rule = ne.Rule
		}
		h.renderVolumes(w, r, http.StatusUnprocessableEntity, volumesView{New: name, NewErr: e})
		return
	}
	h.audited(w, r, func(w http.ResponseWriter, r *http.Request) {
		audit.SetTarget(r.Context(), "name="+name)
		if _, err := h.api.CreateVolume(r.Context(), msg.VolumeCreate{Name: name}); err != nil {
			e := apierr.From(err)
			h.renderVolumes(w, r, e.HTTPStatus(), volumesView{New: name, NewErr: e})
			return
		}
		setFlash(w, "volume-created", name)
		http.Redirect(w, r, "/volumes", http.StatusSeeOther)
	})
}

func (h *Handler) removeVolume(w http.ResponseWriter, r *http.Request) {
	name := r.PostFormValue("name")
	if !h.confirmed(w, r, "Delete volume "+name+"? Everything stored in it is lost. This cannot be undone.", "Delete "+name, "/volumes", "name") {
		return
	}
	h.audited(w, r, func(w http.ResponseWriter, r *http.Request) {
		audit.SetTarget(r.Context(), "name="+name)
		if err := h.api.RemoveVolume(r.Context(), msg.VolumeRef{Name: name}); err != nil {
			e := apierr.From(err)
			h.renderVolumes(w, r, e.HTTPStatus(), volumesView{NewErr: e})
			return
		}
		setFlash(w, "volume-removed", name)
		http.Redirect(w, r, "/volumes", http.StatusSeeOther)
	})
}
