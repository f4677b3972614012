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
	Vars        stackVarsView
}

// stackValues are the deploy form's fields, as typed.
type stackValues struct {
	Name, Compose, Env string
	Vars               map[string]string // the variables' inputs ("var.NAME")
}

// stackVarsView is the form's list of the compose file's variables, an
// input each, as Portainer shows them: prefilled with what was typed,
// else the project's .env value, else the file's default.
type stackVarsView struct {
	Listed bool // the file was read (an empty list says it uses none)
	Err    *apierr.Error
	Vars   []stackVar
}

type stackVar struct {
	Name, Value, Default, Used string
	Required, FromDotEnv       bool
}

// varField is the prefix of a variable's input name: "var.TAG".
const varField = "var."

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

// stackForm reads the deploy form as typed.
func stackForm(r *http.Request) stackValues {
	v := stackValues{
		Name:    strings.TrimSpace(r.PostFormValue("name")),
		Compose: r.PostFormValue("compose"),
		Env:     r.PostFormValue("env"),
		Vars:    map[string]string{},
	}
	for k, vals := range r.PostForm {
		if name, ok := strings.CutPrefix(k, varField); ok && name != "" && len(vals) > 0 {
			v.Vars[name] = vals[0]
		}
	}
	return v
}

// formEnv is the request's env: each variable's input that holds a value
// (an empty one is left unset, so the file's default or its required
// message applies), then the free KEY=VALUE lines, which win.
func formEnv(v stackValues) (map[string]string, error) {
	lines, err := keyValueLines("variable", v.Env)
	if err != nil {
		return nil, err
	}
	var env map[string]string
	for k, val := range v.Vars {
		if val == "" {
			continue
		}
		if env == nil {
			env = map[string]string{}
		}
		env[k] = val
	}
	for k, val := range lines {
		if env == nil {
			env = map[string]string{}
		}
		env[k] = val
	}
	return env, nil
}

// stackVars lists the compose file's variables for the form.
func (h *Handler) stackVars(r *http.Request, v stackValues) stackVarsView {
	if strings.TrimSpace(v.Compose) == "" {
		return stackVarsView{}
	}
	list, err := h.stacks.Variables(r.Context(), stacks.VariablesRequest{Vars: msg.StackVariablesRequest{Compose: v.Compose}})
	if err != nil {
		return stackVarsView{Err: apierr.From(err)}
	}
	out := stackVarsView{Listed: true}
	for _, x := range list.Variables {
		sv := stackVar{Name: x.Name, Default: x.Default, Required: x.Required, FromDotEnv: x.InDotEnv, Used: strings.Join(x.Used, ", ")}
		switch typed, ok := v.Vars[x.Name]; {
		case ok:
			sv.Value = typed
		case x.InDotEnv:
			sv.Value = x.Value
		default:
			sv.Value = x.Default
		}
		out.Vars = append(out.Vars, sv)
	}
	return out
}

// listStackVars answers the form's "List variables": the page again with
// an input per variable (without JS), or that list alone (the page's
// script asks as the compose file is typed).
func (h *Handler) listStackVars(w http.ResponseWriter, r *http.Request) {
	v := stackForm(r)
	vars := h.stackVars(r, v)
	if r.Header.Get("X-Fragment") != "" {
		h.fragment(w, "stacks", "stack_vars", vars)
		return
	}
	h.renderStacks(w, r, http.StatusOK, stacksView{V: v, Vars: vars})
}

// deployStack starts an up job and shows its progress on the stacks page.
func (h *Handler) deployStack(w http.ResponseWriter, r *http.Request) {
	v := stackForm(r)
	env, err := formEnv(v)
	if err != nil {
		e := apierr.From(err)
		h.renderStacks(w, r, e.HTTPStatus(), stacksView{V: v, UpErr: e, Vars: h.stackVars(r, v)})
		return
	}
	h.audited(w, r, func(w http.ResponseWriter, r *http.Request) {
		audit.SetTarget(r.Context(), "stack="+v.Name)
		started, err := h.stacks.Up(r.Context(), stacks.UpRequest{Stack: msg.StackUpRequest{Name: v.Name, Compose: v.Compose, Env: env}})
		if err != nil {
			e := apierr.From(err)
			h.renderStacks(w, r, e.HTTPStatus(), stacksView{V: v, UpErr: e, Rule: ruleWords(e.Rule), Vars: h.stackVars(r, v)})
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
