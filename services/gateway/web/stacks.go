package web

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/gateway/audit"
	"github.com/dockeronline/platform/services/gateway/stacks"
)

// stacksView is the stacks page: the deploy form (a compose file and its
// variables, no project upload), an up in progress (its job's events,
// which the page's script shows) and the caller's stacks.
type stacksView struct {
	Stacks      []msg.Stack
	Err         *apierr.Error // the list failed
	V           stackValues
	UpErr       *apierr.Error
	Rule        string
	Job         *stackJob
	NamePattern string
	NameMax     int
}

// stackValues are the deploy form's fields, as typed.
type stackValues struct {
	Name, Compose, Env string
}

// stackJob is an up the page follows.
type stackJob struct {
	Name   string
	Events string // the job's SSE URL on the API
}

func (h *Handler) stacksPage(w http.ResponseWriter, r *http.Request) {
	v := stacksView{}
	q := r.URL.Query()
	if id := q.Get("job"); validJobID(id) {
		v.Job = &stackJob{Name: q.Get("stack"), Events: "/api/v1/jobs/" + url.PathEscape(id) + "/events"}
	}
	h.renderStacks(w, r, http.StatusOK, v)
}

func (h *Handler) renderStacks(w http.ResponseWriter, r *http.Request, status int, v stacksView) {
	v.Stacks, v.Err = h.stackList(r)
	v.NamePattern, v.NameMax = objectPattern, 24
	h.render(w, status, "stacks", h.page(w, r, "Stacks", "stacks", v))
}

func (h *Handler) stackList(r *http.Request) ([]msg.Stack, *apierr.Error) {
	list, err := h.stacks.List(r.Context(), msg.StackListRequest{})
	if err != nil {
		return nil, apierr.From(err)
	}
	st := list.Stacks
	sort.SliceStable(st, func(i, j int) bool { return st[i].Name < st[j].Name })
	return st, nil
}

// stacksFragment is the list alone, refreshed live (container events, an
// up that finished).
func (h *Handler) stacksFragment(w http.ResponseWriter, r *http.Request) {
	st, err := h.stackList(r)
	v, _ := viewerFrom(r.Context())
	h.fragment(w, "stacks", "stack_rows", map[string]any{"Stacks": st, "Err": err, "CSRF": h.csrf.token(v.cookie)})
}

// deployStack starts an up job and shows its progress on the stacks page.
func (h *Handler) deployStack(w http.ResponseWriter, r *http.Request) {
	v := stackValues{
		Name:    strings.TrimSpace(r.PostFormValue("name")),
		Compose: r.PostFormValue("compose"),
		Env:     r.PostFormValue("env"),
	}
	env, err := keyValueLines("variable", v.Env)
	if err != nil {
		e := apierr.From(err)
		h.renderStacks(w, r, e.HTTPStatus(), stacksView{V: v, UpErr: e})
		return
	}
	h.audited(w, r, func(w http.ResponseWriter, r *http.Request) {
		audit.SetTarget(r.Context(), "stack="+v.Name)
		started, err := h.stacks.Up(r.Context(), stacks.UpRequest{Stack: msg.StackUpRequest{Name: v.Name, Compose: v.Compose, Env: env}})
		if err != nil {
			e := apierr.From(err)
			h.renderStacks(w, r, e.HTTPStatus(), stacksView{V: v, UpErr: e, Rule: ruleWords(e.Rule)})
			return
		}
		q := url.Values{"job": {started.Job.ID}, "stack": {v.Name}}
		http.Redirect(w, r, "/stacks?"+q.Encode(), http.StatusSeeOther)
	})
}

// downStack takes a stack down (its volumes stay), after confirming.
func (h *Handler) downStack(w http.ResponseWriter, r *http.Request) {
	name := r.PostFormValue("name")
	if !h.confirmed(w, r, "Take stack "+name+" down? Its containers and networks are removed; its volumes are kept.", "Take "+name+" down", "/stacks", "name") {
		return
	}
	h.audited(w, r, func(w http.ResponseWriter, r *http.Request) {
		audit.SetTarget(r.Context(), "stack="+name)
		if _, err := h.stacks.Down(r.Context(), msg.StackRef{Name: name}); err != nil {
			e := apierr.From(err)
			h.renderStacks(w, r, e.HTTPStatus(), stacksView{UpErr: e, Rule: ruleWords(e.Rule)})
			return
		}
		setFlash(w, "stack-down", name)
		http.Redirect(w, r, "/stacks", http.StatusSeeOther)
	})
}
