package images

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/go-kit/kit/endpoint"
	httptransport "github.com/go-kit/kit/transport/http"
	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/gateway/httpx"
)

// Routes mounts the image routes on r (already behind authentication):
//
//	GET    /images             the caller's images (?all=true: every image, admins)
//	POST   /images/pull        {"image":"registry/repo:tag"} → 202 {"job":…,"status":…,"events":…}
//	DELETE /images/{ref...}    the reference, URL-escaped or not ("127.0.0.1:5000%2Fapp%3A1")
func Routes(r chi.Router, nc *nats.Conn, log *slog.Logger) {
	Mount(r, Logging(log)(New(nc)))
}

// Mount mounts the routes of svc on r.
func Mount(r chi.Router, svc Service) {
	e := MakeEndpoints(svc)
	r.Get("/images", server(e.List, decodeList, encodeJSON(http.StatusOK)))
	r.Post("/images/pull", server(e.Pull, decodePull, encodePull))
	r.Delete("/images/*", server(e.Remove, decodeRef, encodeJSON(http.StatusOK)))
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

// encodePull answers 202 Accepted: the pull goes on; Location is the job.
func encodePull(_ context.Context, w http.ResponseWriter, resp any) error {
	started := resp.(msg.JobStarted)
	w.Header().Set("Location", started.Status)
	httpx.WriteJSON(w, http.StatusAccepted, started)
	return nil
}

func decodeList(_ context.Context, r *http.Request) (any, error) {
	v := r.URL.Query().Get("all")
	if v == "" {
		return msg.ImageListRequest{}, nil
	}
	all, err := strconv.ParseBool(v)
	if err != nil {
		return nil, apierr.Invalid("query parameter all=%q must be true or false", v)
	}
	return msg.ImageListRequest{All: all}, nil
}

func decodePull(_ context.Context, r *http.Request) (any, error) {
	var req msg.ImagePullRequest
	if err := httpx.DecodeStrict(nil, r, &req); err != nil {
		return nil, err
	}
	return req, checkRef("image", req.Image)
}

// decodeRef reads the reference after /images/. chi matches the escaped
// path when the client escaped it, so the value is unescaped here; a
// reference never holds '%', so unescaping a plain one changes nothing.
func decodeRef(_ context.Context, r *http.Request) (any, error) {
	raw := chi.URLParam(r, "*")
	ref, err := url.PathUnescape(raw)
	if err != nil {
		return nil, apierr.Invalid("image reference %q is not properly escaped", raw)
	}
	return msg.ImageRef{Ref: ref}, checkRef("image reference", ref)
}
