package web

import "net/http"

// soonPage is a section whose API is not there yet: it has its place in
// the navigation and says what it will do, with no made-up data.
type soonPage struct {
	path, nav, title, what string
}

var soonPages = []soonPage{
	{"/builds", "builds", "Build", "Upload a Dockerfile or a build context and follow the build log as it runs."},
	{"/stacks", "stacks", "Stacks", "Paste or upload a Compose file, bring it up with a progress bar, and follow each service's state and logs."},
}

func (h *Handler) soon(s soonPage) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h.render(w, http.StatusOK, "soon", h.page(w, r, s.title, s.nav, s.what))
	}
}
