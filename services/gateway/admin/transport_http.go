package admin

import (
	"context"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/go-kit/kit/endpoint"
	httptransport "github.com/go-kit/kit/transport/http"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/gateway/audit"
	"github.com/dockeronline/platform/services/gateway/httpx"
)

// Route is one admin route; Routes mounts them and tests walk them all
// (Table).
type Route struct {
	Method, Pattern string
}

// ErrNotAdmin answers a signed-in caller without the admin role.
var ErrNotAdmin = apierr.New(apierr.CodeForbidden, "this needs the admin role")

// RequireAdmin refuses callers who are not admins (403). Authentication
// runs before it (401 without a session).
func RequireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := identity.From(r.Context())
		if !ok {
			httpx.WriteError(w, apierr.New(apierr.CodeUnauthenticated, "sign in first"))
			return
		}
		if !c.IsAdmin() {
			httpx.WriteError(w, ErrNotAdmin)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// routes is the admin API, in one table.
func routes(e Endpoints) []struct {
	Route
	h http.HandlerFunc
} {
	type rt = struct {
		Route
		h http.HandlerFunc
	}
	ok, created := encode(http.StatusOK), encode(http.StatusCreated)
	return []rt{
		{Route{http.MethodGet, "/users"}, server(e.ListUsers, decodeNone, ok)},
		{Route{http.MethodPost, "/users"}, server(e.CreateUser, decodeCreate, created)},
		{Route{http.MethodDelete, "/users/{id}"}, server(e.DeleteUser, decodeRef, ok)},
		{Route{http.MethodPost, "/users/{id}/disable"}, server(e.DisableUser, decodeRef, ok)},
		{Route{http.MethodPost, "/users/{id}/enable"}, server(e.EnableUser, decodeRef, ok)},
		{Route{http.MethodPut, "/users/{id}/role"}, server(e.SetRole, decodeRole, ok)},
		{Route{http.MethodPut, "/users/{id}/quota"}, server(e.SetQuota, decodeQuota, ok)},
		{Route{http.MethodPost, "/users/{id}/linux-account/retry"}, server(e.RetryLinuxAccount, decodeRef, ok)},
		{Route{http.MethodGet, "/audit"}, server(e.Audit, decodeAudit, ok)},
		{Route{http.MethodGet, "/containers"}, server(e.Containers, decodeNone, ok)},
		{Route{http.MethodGet, "/volumes"}, server(e.Volumes, decodeNone, ok)},
		{Route{http.MethodGet, "/images"}, server(e.Images, decodeNone, ok)},
	}
}

// Routes mounts the admin API on r (the /api/v1/admin sub-router, behind
// authentication), every route behind RequireAdmin.
func Routes(r chi.Router, e Endpoints) {
	r.Use(RequireAdmin)
	for _, rt := range routes(e) {
		r.Method(rt.Method, rt.Pattern, rt.h)
	}
}

// Table lists every admin route (relative to /api/v1/admin), for tests
// that must cover them all and for documentation.
func Table() []Route {
	var out []Route
	for _, rt := range routes(Endpoints{}) {
		out = append(out, rt.Route)
	}
	return out
}

func server(e endpoint.Endpoint, dec httptransport.DecodeRequestFunc, enc httptransport.EncodeResponseFunc) http.HandlerFunc {
	return httptransport.NewServer(e, dec, enc,
		httptransport.ServerErrorEncoder(func(_ context.Context, err error, w http.ResponseWriter) {
			httpx.WriteError(w, err)
		}),
	).ServeHTTP
}

func encode(status int) httptransport.EncodeResponseFunc {
	return func(ctx context.Context, w http.ResponseWriter, resp any) error {
		switch v := resp.(type) {
		case msg.User:
			audit.SetTarget(ctx, "user="+v.Username)
		case Deleted:
			audit.SetTarget(ctx, "user="+v.Username)
		case Disabled:
			audit.SetTarget(ctx, "user="+v.Username)
		}
		httpx.WriteJSON(w, status, resp)
		return nil
	}
}

func decodeNone(context.Context, *http.Request) (any, error) { return nil, nil }

func decodeRef(_ context.Context, r *http.Request) (any, error) {
	return msg.UserRef{UserID: chi.URLParam(r, "id")}, nil
}

func decodeCreate(_ context.Context, r *http.Request) (any, error) {
	var req msg.UserCreateRequest
	err := httpx.DecodeStrict(nil, r, &req)
	return req, err
}

func decodeRole(_ context.Context, r *http.Request) (any, error) {
	var body struct {
		Role identity.Role `json:"role"`
	}
	if err := httpx.DecodeStrict(nil, r, &body); err != nil {
		return nil, err
	}
	return msg.UserRoleRequest{UserID: chi.URLParam(r, "id"), Role: body.Role}, nil
}

func decodeQuota(_ context.Context, r *http.Request) (any, error) {
	var body struct {
		Containers *int     `json:"containers,omitempty"`
		MemoryMB   *int64   `json:"memory_mb,omitempty"`
		CPUs       *float64 `json:"cpus,omitempty"`
		Volumes    *int     `json:"volumes,omitempty"`
		Networks   *int     `json:"networks,omitempty"`
		Reset      bool     `json:"reset,omitempty"`
		Runtime    *string  `json:"runtime,omitempty"` // runc or runsc; "" for the default
	}
	if err := httpx.DecodeStrict(nil, r, &body); err != nil {
		return nil, err
	}
	return msg.QuotaSetRequest{UserID: chi.URLParam(r, "id"), Containers: body.Containers, MemoryMB: body.MemoryMB,
		CPUs: body.CPUs, Volumes: body.Volumes, Networks: body.Networks, Reset: body.Reset, Runtime: body.Runtime}, nil
}

func decodeAudit(_ context.Context, r *http.Request) (any, error) {
	var req msg.AuditListRequest
	q := r.URL.Query()
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, apierr.Invalid("query parameter limit=%q must be a number", v)
		}
		req.Limit = n
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, apierr.Invalid("query parameter before=%q must be a number (the next of the previous page)", v)
		}
		req.Before = n
	}
	return req, nil
}
