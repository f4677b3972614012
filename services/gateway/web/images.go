package web

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/gateway/audit"
)

// imagesView is the images page: the pull form, a pull in progress (its
// job's event stream, which the page's script turns into a progress bar)
// and the caller's images.
type imagesView struct {
	Images  []msg.Image
	Err     *apierr.Error // the list failed
	Pull    string        // the reference in the pull form
	PullErr *apierr.Error
	Rule    string
	Job     *pullJob
}

// pullJob is a pull the page follows.
type pullJob struct {
	Ref    string
	Events string // the job's SSE URL on the API
}

func (h *Handler) imagesPage(w http.ResponseWriter, r *http.Request) {
	v := imagesView{}
	q := r.URL.Query()
	if id := q.Get("job"); validJobID(id) {
		v.Job = &pullJob{Ref: q.Get("ref"), Events: "/api/v1/jobs/" + url.PathEscape(id) + "/events"}
	}
	h.renderImages(w, r, http.StatusOK, v)
}

func (h *Handler) renderImages(w http.ResponseWriter, r *http.Request, status int, v imagesView) {
	v.Images, v.Err = h.imageList(r)
	h.render(w, status, "images", h.page(w, r, "Images", "images", v))
}

func (h *Handler) imageList(r *http.Request) ([]msg.Image, *apierr.Error) {
	list, err := h.images.List(r.Context(), msg.ImageListRequest{})
	if err != nil {
		return nil, apierr.From(err)
	}
	imgs := list.Images
	sort.SliceStable(imgs, func(i, j int) bool { return imageName(imgs[i]) < imageName(imgs[j]) })
	return imgs, nil
}

// imagesFragment is the list alone, refreshed live (image events, a pull
// that finished).
func (h *Handler) imagesFragment(w http.ResponseWriter, r *http.Request) {
	imgs, err := h.imageList(r)
	v, _ := viewerFrom(r.Context())
	h.fragment(w, "images", "image_rows", map[string]any{"Images": imgs, "Err": err, "CSRF": h.csrf.token(v.cookie)})
}

// pull starts a pull job and shows its progress on the images page.
func (h *Handler) pull(w http.ResponseWriter, r *http.Request) {
	ref := strings.TrimSpace(r.PostFormValue("image"))
	h.audited(w, r, func(w http.ResponseWriter, r *http.Request) {
		audit.SetTarget(r.Context(), "image="+ref)
		started, err := h.images.Pull(r.Context(), msg.ImagePullRequest{Image: ref})
		if err != nil {
			e := apierr.From(err)
			h.renderImages(w, r, e.HTTPStatus(), imagesView{Pull: ref, PullErr: e, Rule: ruleWords(e.Rule)})
			return
		}
		q := url.Values{"job": {started.Job.ID}, "ref": {ref}}
		http.Redirect(w, r, "/images?"+q.Encode(), http.StatusSeeOther)
	})
}

// removeImage drops the caller's reference to an image, after confirming.
func (h *Handler) removeImage(w http.ResponseWriter, r *http.Request) {
	ref := r.PostFormValue("ref")
	if !h.confirmed(w, r, "Remove image "+ref+"? Containers of yours that use it keep running, but cannot be re-created from it until it is pulled again.", "Remove "+ref, "/images", "ref") {
		return
	}
	h.audited(w, r, func(w http.ResponseWriter, r *http.Request) {
		audit.SetTarget(r.Context(), "image="+ref)
		res, err := h.images.Remove(r.Context(), msg.ImageRef{Ref: ref})
		if err != nil {
			e := apierr.From(err)
			h.renderImages(w, r, e.HTTPStatus(), imagesView{PullErr: e, Rule: ruleWords(e.Rule)})
			return
		}
		code := "image-removed"
		if !res.Deleted {
			code = "image-unlisted"
		}
		setFlash(w, code, ref)
		http.Redirect(w, r, "/images", http.StatusSeeOther)
	})
}

// imageName is what the list shows first: a tag, else the short id.
func imageName(i msg.Image) string {
	if len(i.Tags) > 0 {
		return i.Tags[0]
	}
	return shortID(i.ID)
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// validJobID accepts what can be part of the job's URL.
func validJobID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
