package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/gateway/admin"
	"github.com/dockeronline/platform/services/gateway/audit"
)

// mountAdmin adds the admin pages (behind adminOnly).
func (h *Handler) mountAdmin(r chi.Router) {
	r.Get("/admin", h.adminUsers)
	r.Post("/admin/users", h.adminCreateUser)
	r.Post("/admin/users/{id}/{action}", h.adminUserAction)
	r.Get("/admin/containers", h.adminContainers)
	r.Get("/admin/audit", h.adminAudit)
}

// adminUsersView is the user management page.
type adminUsersView struct {
	Tab       string
	Available bool // an admin service is wired
	Users     []admin.User
	Err       *apierr.Error
	Rule      string
	New       newUser // the add-user form, as typed
	NewErr    *apierr.Error
	Me        string // the admin's own id: no buttons against oneself
}

type newUser struct{ Username, Email, Role string }

func (h *Handler) adminUsers(w http.ResponseWriter, r *http.Request) {
	h.renderUsers(w, r, http.StatusOK, adminUsersView{}, nil)
}

// renderUsers shows the users page; err, if any, is the refusal of the
// action that brought the admin here.
func (h *Handler) renderUsers(w http.ResponseWriter, r *http.Request, status int, v adminUsersView, err error) {
	me, _ := viewerFrom(r.Context())
	v.Tab, v.Available, v.Me = "users", h.admin != nil, me.UserID
	if v.New.Role == "" {
		v.New.Role = string(identity.RoleUser)
	}
	if err != nil {
		v.Err = apierr.From(err)
		v.Rule = ruleWords(v.Err.Rule)
	}
	if h.admin != nil {
		list, lerr := h.admin.ListUsers(r.Context())
		if lerr != nil && v.Err == nil {
			v.Err = apierr.From(lerr)
		}
		v.Users = list.Users
	}
	h.render(w, status, "admin", h.page(w, r, "Users", "admin", v))
}

func (h *Handler) adminCreateUser(w http.ResponseWriter, r *http.Request) {
	if h.admin == nil {
		h.fail(w, r, apierr.NotFound("user management is not available"))
		return
	}
	req := msg.UserCreateRequest{Username: r.PostFormValue("username"), Email: r.PostFormValue("email"),
		Password: r.PostFormValue("password"), Role: identity.Role(r.PostFormValue("role"))}
	h.audited(w, r, func(w http.ResponseWriter, r *http.Request) {
		audit.SetTarget(r.Context(), "username="+req.Username)
		u, err := h.admin.CreateUser(r.Context(), req)
		if err != nil {
			e := apierr.From(err)
			h.renderUsers(w, r, e.HTTPStatus(), adminUsersView{New: newUser{req.Username, req.Email, string(req.Role)}, NewErr: e}, nil)
			return
		}
		setFlash(w, "user-created", u.Username)
		http.Redirect(w, r, "/admin", http.StatusSeeOther)
	})
}

// userActions are the buttons of a user row; confirm words the question.
var userActions = map[string]struct {
	button, confirm string
}{
	"disable": {"Disable", "Disable user %s? They can no longer sign in, and their running containers are stopped. You can enable them again."},
	"enable":  {"Enable", ""},
	"role":    {"Change role", ""},
	"delete":  {"Delete", "Delete user %s? Their containers, volumes, stacks and images are removed, their Linux account is deleted and they can no longer sign in. This cannot be undone."},
}

func (h *Handler) adminUserAction(w http.ResponseWriter, r *http.Request) {
	id, op := chi.URLParam(r, "id"), chi.URLParam(r, "action")
	a, ok := userActions[op]
	if !ok || h.admin == nil {
		h.fail(w, r, apierr.NotFound("no such user action"))
		return
	}
	name := r.PostFormValue("username")
	if !safeName(name) {
		name = "this user"
	}
	if a.confirm != "" && !h.confirmed(w, r, fmt.Sprintf(a.confirm, name), a.button+" "+name, "/admin", "username", "role") {
		return
	}
	h.audited(w, r, func(w http.ResponseWriter, r *http.Request) {
		if safeName(r.PostFormValue("username")) {
			audit.SetTarget(r.Context(), "username="+r.PostFormValue("username"))
		}
		ref := msg.UserRef{UserID: id}
		var err error
		switch op {
		case "disable":
			_, err = h.admin.DisableUser(r.Context(), ref)
		case "enable":
			_, err = h.admin.EnableUser(r.Context(), ref)
		case "role":
			_, err = h.admin.SetRole(r.Context(), msg.UserRoleRequest{UserID: id, Role: identity.Role(r.PostFormValue("role"))})
		case "delete":
			_, err = h.admin.DeleteUser(r.Context(), ref)
		}
		if err != nil {
			h.renderUsers(w, r, apierr.From(err).HTTPStatus(), adminUsersView{}, err)
			return
		}
		flash := "user-updated"
		if op == "delete" {
			flash = "user-deleted"
		}
		setFlash(w, flash, r.PostFormValue("username"))
		http.Redirect(w, r, "/admin", http.StatusSeeOther)
	})
}

// adminContainersView is every user's containers, live.
type adminContainersView struct {
	Tab  string
	Rows rowsView
}

func (h *Handler) adminContainers(w http.ResponseWriter, r *http.Request) {
	h.render(w, http.StatusOK, "admin_containers", h.page(w, r, "All containers", "admin",
		adminContainersView{Tab: "containers", Rows: h.rows(r.Context(), true)}))
}

// adminAuditView is a page of the audit log, newest first.
type adminAuditView struct {
	Tab       string
	Available bool
	Records   []msg.AuditRecord
	Older     string // link to the next page, "" on the last
	Err       *apierr.Error
}

func (h *Handler) adminAudit(w http.ResponseWriter, r *http.Request) {
	v := adminAuditView{Tab: "audit", Available: h.admin != nil}
	if h.admin != nil {
		before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
		list, err := h.admin.Audit(r.Context(), msg.AuditListRequest{Limit: 50, Before: before})
		if err != nil {
			v.Err = apierr.From(err)
		}
		v.Records = list.Records
		if list.Next > 0 {
			v.Older = "/admin/audit?" + url.Values{"before": {strconv.FormatInt(list.Next, 10)}}.Encode()
		}
	}
	h.render(w, http.StatusOK, "admin_audit", h.page(w, r, "Audit log", "admin", v))
}
