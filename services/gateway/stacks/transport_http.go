package stacks

import (
	"context"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-kit/kit/endpoint"
	httptransport "github.com/go-kit/kit/transport/http"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/gateway/builds"
	"github.com/dockeronline/platform/services/gateway/httpx"
	"github.com/dockeronline/platform/services/gateway/logs"
)

// Routes mounts the stack routes on r (already behind authentication):
//
//	POST   /stacks                 JSON {"name","compose","env"}, or a multipart
//	                               form: part "request" (that JSON) then part
//	                               "context" (the project, tar or tar.gz)
//	                               → 202 {"job":…,"status":…,"events":…}
//	GET    /stacks                 the caller's stacks (?all=true: everyone's, admins)
//	GET    /stacks/{name}          services with their containers' state and links
//	DELETE /stacks/{name}          down (?volumes=true: the volumes too)
//	POST   /stacks/variables       JSON {"compose"}, or the multipart form as
//	                               for POST /stacks → 200 the variables the
//	                               file uses, with the project's .env values
//	POST   /stacks/{name}/restart  restart every container
//	GET    /stacks/{name}/logs     ?service=web: that service's logs, as
//	                               GET /containers/{name}/logs serves them
//	                               (tail, follow, since; SSE or text/plain)
//
// Admins add ?owner=<user id> to act on another user's stack.
func Routes(r chi.Router, nc *nats.Conn, uploads builds.UploadConfig, links Links, log *slog.Logger) {
	js, err := jetstream.New(nc)
	if err != nil {
		log.Error("stacks: no JetStream context", "err", err)
		r.HandleFunc("/stacks*", func(w http.ResponseWriter, _ *http.Request) {
			httpx.WriteError(w, apierr.New(apierr.CodeUnavailable, "stacks are not available"))
		})
		return
	}
	up := builds.NewUploads(js, uploads)
	// The container logs route, reached under the stack's service.
	lr := chi.NewRouter()
	logs.Routes(lr, nc, log)
	Mount(r, Logging(log)(New(nc, up, links)), up.MaxBytes(), lr)
}

// Mount mounts the routes of svc on r; containerLogs serves
// /containers/{name}/logs.
func Mount(r chi.Router, svc Service, maxContext int64, containerLogs http.Handler) {
	e := MakeEndpoints(svc)
	r.Post("/stacks", builds.LimitBody(maxContext, server(e.Up, decodeUp, builds.EncodeAccepted)))
	r.Get("/stacks", server(e.List, decodeList, encodeJSON(http.StatusOK)))
	r.Get("/stacks/{name}", server(e.Get, decodeRef, encodeJSON(http.StatusOK)))
	r.Delete("/stacks/{name}", server(e.Down, decodeRef, encodeJSON(http.StatusOK)))
	r.Post("/stacks/variables", builds.LimitBody(maxContext, server(e.Variables, decodeVariables, encodeJSON(http.StatusOK))))
	r.Post("/stacks/{name}/restart", server(e.Restart, decodeRef, encodeJSON(http.StatusOK)))
	r.Get("/stacks/{name}/logs", serviceLogs(svc, containerLogs))
}

func server(e endpoint.Endpoint, dec httptransport.DecodeRequestFunc, enc httptransport.EncodeResponseFunc) http.HandlerFunc {
	return httptransport.NewServer(e, dec, enc,
		httptransport.ServerErrorEncoder(func(_ context.Context, err error, w http.ResponseWriter) {
			httpx.WriteError(w, err)
		}),
	).ServeHTTP
}

func encodeJSON(status int) httptransport.EncodeResponseFunc {
	return func(_ context.Context, w http.ResponseWriter, resp any) error {
		httpx.WriteJSON(w, status, resp)
		return nil
	}
}

func decodeUp(_ context.Context, r *http.Request) (any, error) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct != "" && err != nil {
		return nil, apierr.Invalid("Content-Type %q is not valid", ct)
	}
	var req msg.StackUpRequest
	switch {
	case ct == "" || mt == "application/json":
		if err := httpx.DecodeStrict(nil, r, &req); err != nil {
			return nil, err
		}
		return UpRequest{Stack: req}, nil
	case mt == "multipart/form-data":
		part, err := builds.Multipart(r, &req)
		if err != nil {
			return nil, err
		}
		return UpRequest{Stack: req, Context: part}, nil
	}
	return nil, apierr.Invalid("Content-Type %q is not supported: send JSON, or a multipart form with the project", mt)
}

func decodeVariables(_ context.Context, r *http.Request) (any, error) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct != "" && err != nil {
		return nil, apierr.Invalid("Content-Type %q is not valid", ct)
	}
	var req msg.StackVariablesRequest
	switch {
	case ct == "" || mt == "application/json":
		if err := httpx.DecodeStrict(nil, r, &req); err != nil {
			return nil, err
		}
		return VariablesRequest{Vars: req}, nil
	case mt == "multipart/form-data":
		part, err := builds.Multipart(r, &req)
		if err != nil {
			return nil, err
		}
		return VariablesRequest{Vars: req, Context: part}, nil
	}
	return nil, apierr.Invalid("Content-Type %q is not supported: send JSON, or a multipart form with the project", mt)
}

func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, apierr.Invalid("query parameter %s=%q must be true or false", name, v)
	}
	return b, nil
}

func decodeList(_ context.Context, r *http.Request) (any, error) {
	all, err := boolParam(r, "all")
	return msg.StackListRequest{All: all}, err
}

func decodeRef(_ context.Context, r *http.Request) (any, error) {
	vols, err := boolParam(r, "volumes")
	if err != nil {
		return nil, err
	}
	return msg.StackRef{Name: chi.URLParam(r, "name"), Owner: r.URL.Query().Get("owner"), Volumes: vols}, nil
}

// serviceLogs serves a service's logs by handing the request to the
// container logs route for the service's container (its first, or
// ?index=<n> among replicas).
func serviceLogs(svc Service, containerLogs http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		name := q.Get("service")
		st, err := svc.Get(r.Context(), msg.StackRef{Name: chi.URLParam(r, "name"), Owner: q.Get("owner")})
		if err != nil {
			httpx.WriteError(w, err)
			return
		}
		if name == "" && len(st.Services) == 1 {
			name = st.Services[0].Name
		}
		if name == "" {
			httpx.WriteError(w, apierr.Invalid("service is required: ?service=<name> (services: %s)", serviceNames(st)))
			return
		}
		index := 1
		if v := q.Get("index"); v != "" {
			if index, err = strconv.Atoi(v); err != nil || index < 1 {
				httpx.WriteError(w, apierr.Invalid("index=%q must be a replica number from 1", v))
				return
			}
		}
		var container string
		for _, s := range st.Services {
			if s.Name == name && index <= len(s.Containers) {
				container = s.Containers[index-1].Name
			}
		}
		if container == "" {
			httpx.WriteError(w, apierr.NotFound("stack %q has no container %d of service %q (services: %s)", st.Name, index, name, serviceNames(st)))
			return
		}
		q.Del("service")
		q.Del("index")
		sub := r.Clone(context.WithValue(r.Context(), chi.RouteCtxKey, nil))
		sub.URL.Path = "/containers/" + container + "/logs"
		sub.URL.RawPath = ""
		sub.URL.RawQuery = q.Encode()
		containerLogs.ServeHTTP(w, sub)
	}
}

func serviceNames(st msg.Stack) string {
	var out []string
	for _, s := range st.Services {
		out = append(out, s.Name)
	}
	if len(out) == 0 {
		return "none running"
	}
	return strings.Join(out, ", ")
}
