package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"

	"github.com/go-chi/chi/v5"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// containerRow is a container with its web links.
type containerRow struct {
	msg.Container
	Links []Link
}

// rowsView is the live list block: the rows, or why there are none.
type rowsView struct {
	Rows  []containerRow
	Err   *apierr.Error
	Owner bool // show the owner column (admins' list of everyone's)
}

func (h *Handler) rows(ctx context.Context, all bool) rowsView {
	list, err := h.api.ListContainers(ctx, msg.ContainerListRequest{All: all})
	if err != nil {
		return rowsView{Err: apierr.From(err), Owner: all}
	}
	cs := list.Containers
	// Running first, then by name: what needs attention is on top.
	sort.SliceStable(cs, func(i, j int) bool {
		ri, rj := cs[i].State == "running", cs[j].State == "running"
		if ri != rj {
			return ri
		}
		if cs[i].Username != cs[j].Username {
			return cs[i].Username < cs[j].Username
		}
		return cs[i].Name < cs[j].Name
	})
	v := rowsView{Rows: make([]containerRow, 0, len(cs)), Owner: all}
	for _, c := range cs {
		v.Rows = append(v.Rows, containerRow{Container: c, Links: h.cfg.links(c)})
	}
	return v
}

func (h *Handler) containerList(w http.ResponseWriter, r *http.Request) {
	h.render(w, http.StatusOK, "containers", h.page(w, r, "Containers", "containers", h.rows(r.Context(), false)))
}

// containerRowsFragment is the live list's block alone; the page's script
// fetches it when an event says a container changed.
func (h *Handler) containerRowsFragment(w http.ResponseWriter, r *http.Request) {
	h.fragment(w, "containers", "container_rows", h.rows(r.Context(), r.URL.Query().Get("all") == "1"))
}

// panelView is the container page's live block: state, links, actions.
type panelView struct {
	C     msg.Container
	Links []Link
	CSRF  string
	Owner string // admins acting on another user's container
	Err   *apierr.Error
	Rule  string
}

func (h *Handler) ref(r *http.Request) msg.ContainerRef {
	return msg.ContainerRef{Name: chi.URLParam(r, "name"), Owner: r.URL.Query().Get("owner")}
}

func (h *Handler) panel(r *http.Request, ref msg.ContainerRef) (panelView, error) {
	c, err := h.api.GetContainer(r.Context(), ref)
	if err != nil {
		return panelView{}, err
	}
	v, _ := viewerFrom(r.Context())
	return panelView{C: c, Links: h.cfg.links(c), CSRF: h.csrf.token(v.cookie), Owner: ref.Owner}, nil
}

// containerView is the container page.
type containerView struct {
	Panel    panelView
	Fragment string // the live block's URL
	LogsURL  string
}

func (h *Handler) containerPage(w http.ResponseWriter, r *http.Request) {
	ref := h.ref(r)
	p, err := h.panel(r, ref)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, http.StatusOK, "container", h.page(w, r, ref.Name, "containers", h.containerView(p, ref)))
}

func (h *Handler) containerView(p panelView, ref msg.ContainerRef) containerView {
	q := ""
	if ref.Owner != "" {
		q = "?" + url.Values{"owner": {ref.Owner}}.Encode()
	}
	name := url.PathEscape(ref.Name)
	logs := url.Values{"follow": {"true"}, "tail": {"200"}}
	if ref.Owner != "" {
		logs.Set("owner", ref.Owner) // an admin following another user's container
	}
	return containerView{Panel: p, Fragment: "/fragments/containers/" + name + q,
		LogsURL: "/api/v1/containers/" + name + "/logs?" + logs.Encode()}
}

func (h *Handler) containerPanelFragment(w http.ResponseWriter, r *http.Request) {
	p, err := h.panel(r, h.ref(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.fragment(w, "container", "container_panel", p)
}

// actions the container page's buttons post; confirm says whether the
// action asks first, and in which words.
var actions = map[string]struct {
	op      subjects.RunnerOp
	flash   string
	button  string
	confirm string
}{
	"start":   {subjects.ContainerStart, "started", "Start", ""},
	"stop":    {subjects.ContainerStop, "stopped", "Stop", "Stop container %s? Whatever it is doing is interrupted; its files are kept."},
	"restart": {subjects.ContainerRestart, "restarted", "Restart", ""},
	"remove":  {subjects.ContainerRemove, "removed", "Delete", "Delete container %s? It is stopped if it runs, and its files outside volumes are lost. This cannot be undone."},
}

func (h *Handler) containerAction(w http.ResponseWriter, r *http.Request) {
	name, op := chi.URLParam(r, "name"), chi.URLParam(r, "action")
	a, ok := actions[op]
	if !ok {
		h.fail(w, r, apierr.NotFound("no action %q", op))
		return
	}
	ref := msg.ContainerRef{Name: name, Owner: r.PostFormValue("owner")}
	page := "/containers/" + url.PathEscape(name)
	if ref.Owner != "" {
		page += "?" + url.Values{"owner": {ref.Owner}}.Encode()
	}
	if a.confirm != "" && !h.confirmed(w, r, fmt.Sprintf(a.confirm, name), a.button+" "+name, page, "owner") {
		return
	}
	h.audited(w, r, func(w http.ResponseWriter, r *http.Request) { h.act(w, r, op, ref, page) })
}

// act runs a container action and goes back to where the user was.
func (h *Handler) act(w http.ResponseWriter, r *http.Request, op string, ref msg.ContainerRef, page string) {
	a, name := actions[op], ref.Name
	var err error
	if op == "remove" {
		ref.Force = true // the confirmation said it stops a running one
		err = h.api.RemoveContainer(r.Context(), ref)
	} else {
		_, err = h.api.ContainerAction(r.Context(), a.op, ref)
	}
	if err != nil {
		h.actionFailed(w, r, ref, err)
		return
	}
	setFlash(w, a.flash, name)
	switch {
	case op == "remove" && ref.Owner != "":
		http.Redirect(w, r, "/admin/containers", http.StatusSeeOther)
		return
	case op == "remove":
		http.Redirect(w, r, "/containers", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, page, http.StatusSeeOther)
}

// actionFailed shows the container page again with the refusal where the
// buttons are; a container that is gone gets the error page.
func (h *Handler) actionFailed(w http.ResponseWriter, r *http.Request, ref msg.ContainerRef, err error) {
	p, gerr := h.panel(r, ref)
	if gerr != nil {
		h.fail(w, r, err)
		return
	}
	e := apierr.From(err)
	p.Err, p.Rule = e, ruleWords(e.Rule)
	h.render(w, e.HTTPStatus(), "container", h.page(w, r, ref.Name, "containers", h.containerView(p, ref)))
}
