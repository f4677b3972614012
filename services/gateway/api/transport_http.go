package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/go-kit/kit/endpoint"
	httptransport "github.com/go-kit/kit/transport/http"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/gateway/httpx"
)

// Routes mounts the API on r (already behind authentication).
func Routes(r chi.Router, e Endpoints) {
	r.Get("/me", server(e.Me, decodeNone, encode(http.StatusOK)))
	r.Get("/containers", server(e.ListContainers, decodeAll(func(all bool) msg.ContainerListRequest { return msg.ContainerListRequest{All: all} }), encode(http.StatusOK)))
	r.Post("/containers", server(e.CreateContainer, decodeCreate, encode(http.StatusCreated)))
	r.Get("/containers/{name}", server(e.GetContainer, decodeRef, encode(http.StatusOK)))
	r.Delete("/containers/{name}", server(e.RemoveContainer, decodeRef, encode(http.StatusNoContent)))
	r.Post("/containers/{name}/start", server(e.StartContainer, decodeRef, encode(http.StatusOK)))
	r.Post("/containers/{name}/stop", server(e.StopContainer, decodeRef, encode(http.StatusOK)))
	r.Post("/containers/{name}/restart", server(e.RestartContainer, decodeRef, encode(http.StatusOK)))

	r.Get("/volumes", server(e.ListVolumes, decodeAll(func(all bool) msg.VolumeListRequest { return msg.VolumeListRequest{All: all} }), encode(http.StatusOK)))
	r.Post("/volumes", server(e.CreateVolume, decodeBody[msg.VolumeCreate], encode(http.StatusCreated)))
	r.Delete("/volumes/{name}", server(e.RemoveVolume, decodeVolumeRef, encode(http.StatusNoContent)))
	r.Get("/networks", server(e.ListNetworks, decodeAll(func(all bool) msg.NetworkListRequest { return msg.NetworkListRequest{All: all} }), encode(http.StatusOK)))
	r.Post("/networks", server(e.CreateNetwork, decodeBody[msg.NetworkCreate], encode(http.StatusCreated)))
	r.Delete("/networks/{name}", server(e.RemoveNetwork, decodeNetworkRef, encode(http.StatusNoContent)))
}

// decodeBody decodes a strict JSON body into T.
func decodeBody[T any](_ context.Context, r *http.Request) (any, error) {
	var v T
	if err := httpx.DecodeStrict(nil, r, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// decodeAll reads ?all= into a list request.
func decodeAll[T any](mk func(all bool) T) httptransport.DecodeRequestFunc {
	return func(_ context.Context, r *http.Request) (any, error) {
		all, err := boolQuery(r, "all")
		return mk(all), err
	}
}

func decodeVolumeRef(_ context.Context, r *http.Request) (any, error) {
	return msg.VolumeRef{Name: chi.URLParam(r, "name"), Owner: r.URL.Query().Get("owner")}, nil
}

func decodeNetworkRef(_ context.Context, r *http.Request) (any, error) {
	return msg.NetworkRef{Name: chi.URLParam(r, "name"), Owner: r.URL.Query().Get("owner")}, nil
}

func server(e endpoint.Endpoint, dec httptransport.DecodeRequestFunc, enc httptransport.EncodeResponseFunc) http.HandlerFunc {
	return httptransport.NewServer(e, dec, enc,
		httptransport.ServerErrorEncoder(func(_ context.Context, err error, w http.ResponseWriter) {
			httpx.WriteError(w, err)
		}),
	).ServeHTTP
}

func encode(status int) httptransport.EncodeResponseFunc {
	return func(_ context.Context, w http.ResponseWriter, resp any) error {
		if status == http.StatusNoContent {
			w.WriteHeader(status)
			return nil
		}
		httpx.WriteJSON(w, status, resp)
		return nil
	}
}

func decodeNone(context.Context, *http.Request) (any, error) { return nil, nil }

// IdempotencyKey is the header that makes a create safe to retry.
const IdempotencyKey = "Idempotency-Key"

func decodeCreate(_ context.Context, r *http.Request) (any, error) {
	var spec msg.ContainerSpec
	if err := httpx.DecodeStrict(nil, r, &spec); err != nil {
		return nil, err
	}
	return msg.ContainerCreate{RequestID: r.Header.Get(IdempotencyKey), Spec: spec}, nil
}

func decodeRef(_ context.Context, r *http.Request) (any, error) {
	force, err := boolQuery(r, "force")
	return msg.ContainerRef{Name: chi.URLParam(r, "name"), Owner: r.URL.Query().Get("owner"), Force: force}, err
}

func boolQuery(r *http.Request, key string) (bool, error) {
	v := r.URL.Query().Get(key)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, apierr.Invalid("query parameter %s=%q must be true or false", key, v)
	}
	return b, nil
}
