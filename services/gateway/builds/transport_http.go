package builds

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	httptransport "github.com/go-kit/kit/transport/http"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/gateway/httpx"
)

// Routes mounts the build route on r (already behind authentication):
//
//	POST /builds   Content-Type application/json: a BuildRequest with the
//	               Dockerfile's text ("dockerfile"), no context;
//	               multipart/form-data: part "request" (a BuildRequest, JSON)
//	               first, then part "context" (a tar or tar.gz);
//	               application/x-tar, application/gzip (or octet-stream):
//	               the context as the body, the request in the query
//	               (name, tag, dockerfile, target, no_cache, network,
//	               build_arg=KEY=value, repeated).
//	               → 202 {"job":…,"status":…,"events":…}
func Routes(r chi.Router, nc *nats.Conn, uploads UploadConfig, log *slog.Logger) {
	js, err := jetstream.New(nc)
	if err != nil {
		log.Error("builds: no JetStream context", "err", err)
		r.Post("/builds", func(w http.ResponseWriter, _ *http.Request) {
			httpx.WriteError(w, apierr.New(apierr.CodeUnavailable, "builds are not available"))
		})
		return
	}
	up := NewUploads(js, uploads)
	Mount(r, Logging(log)(New(nc, up)), up.MaxBytes())
}

// Mount mounts the route of svc on r; maxContext bounds an upload.
func Mount(r chi.Router, svc Service, maxContext int64) {
	e := MakeEndpoints(svc)
	srv := httptransport.NewServer(e.Build, decodeBuild, EncodeAccepted,
		httptransport.ServerErrorEncoder(func(_ context.Context, err error, w http.ResponseWriter) {
			httpx.WriteError(w, err)
		}),
	)
	r.Post("/builds", LimitBody(maxContext, srv))
}

// LimitBody bounds a request's body: the largest context plus room for the
// request and the multipart framing.
func LimitBody(maxContext int64, next http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		httpx.LimitBody(w, r, maxContext+2*httpx.MaxBody)
		next.ServeHTTP(w, r)
	}
}

// EncodeAccepted answers 202 Accepted: the job goes on; Location is the job.
func EncodeAccepted(_ context.Context, w http.ResponseWriter, resp any) error {
	started := resp.(msg.JobStarted)
	w.Header().Set("Location", started.Status)
	httpx.WriteJSON(w, http.StatusAccepted, started)
	return nil
}

// tarTypes are the content types of a raw context body.
var tarTypes = map[string]bool{
	"application/x-tar": true, "application/tar": true, "application/gzip": true,
	"application/x-gzip": true, "application/x-compressed-tar": true, "application/octet-stream": true,
}

func decodeBuild(_ context.Context, r *http.Request) (any, error) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct != "" && err != nil {
		return nil, apierr.Invalid("Content-Type %q is not valid", ct)
	}
	switch {
	case ct == "" || mt == "application/json":
		var req msg.BuildRequest
		if err := httpx.DecodeStrict(nil, r, &req); err != nil {
			return nil, err
		}
		return Request{Build: req}, nil
	case mt == "multipart/form-data":
		var req msg.BuildRequest
		ctxPart, err := Multipart(r, &req)
		if err != nil {
			return nil, err
		}
		return Request{Build: req, Context: ctxPart}, nil
	case tarTypes[mt]:
		req, err := fromQuery(r)
		if err != nil {
			return nil, err
		}
		return Request{Build: req, Context: r.Body}, nil
	}
	return nil, apierr.Invalid("Content-Type %q is not supported: send JSON, a multipart form, or the context as application/x-tar", mt)
}

// Multipart reads a multipart form whose first part "request" is JSON,
// decoded strictly into v, and whose optional next part "context" is an
// upload, returned still streaming (nil when absent).
func Multipart(r *http.Request, v any) (io.Reader, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, apierr.Invalid("bad multipart form: %v", err)
	}
	p, err := mr.NextPart()
	if err != nil || p.FormName() != "request" {
		return nil, apierr.Invalid("the first part of the form must be \"request\" (the JSON request), then \"context\" (the tar)")
	}
	body, err := io.ReadAll(io.LimitReader(p, httpx.MaxBody+1))
	if err != nil {
		return nil, apierr.Invalid("bad multipart form: %v", err)
	}
	if len(body) > httpx.MaxBody {
		return nil, apierr.Invalid("the \"request\" part is larger than %d bytes", httpx.MaxBody)
	}
	if err := strictJSON(body, v); err != nil {
		return nil, err
	}
	p, err = mr.NextPart()
	switch {
	case errors.Is(err, io.EOF):
		return nil, nil
	case err != nil:
		return nil, apierr.Invalid("bad multipart form: %v", err)
	case p.FormName() != "context":
		return nil, apierr.Invalid("unknown form part %q: the form holds \"request\" then \"context\"", p.FormName())
	}
	return partReader{p}, nil
}

// partReader hides the part's other methods.
type partReader struct{ p *multipart.Part }

func (r partReader) Read(b []byte) (int, error) { return r.p.Read(b) }

// strictJSON decodes one JSON object, refusing unknown fields (named).
func strictJSON(body []byte, v any) error {
	req, _ := http.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return httpx.DecodeStrict(nil, req, v)
}

// queryFields are the query parameters of a raw-tar build.
var queryFields = map[string]bool{"name": true, "tag": true, "dockerfile": true, "target": true,
	"no_cache": true, "network": true, "build_arg": true}

func fromQuery(r *http.Request) (msg.BuildRequest, error) {
	q := r.URL.Query()
	for k := range q {
		if !queryFields[k] {
			return msg.BuildRequest{}, apierr.Invalid("unknown query parameter %q (known: name, tag, dockerfile, target, no_cache, network, build_arg)", k)
		}
	}
	req := msg.BuildRequest{Name: q.Get("name"), Tag: q.Get("tag"), DockerfilePath: q.Get("dockerfile"),
		Target: q.Get("target"), Network: q.Get("network")}
	if v := q.Get("no_cache"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return req, apierr.Invalid("query parameter no_cache=%q must be true or false", v)
		}
		req.NoCache = b
	}
	for _, kv := range q["build_arg"] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return req, apierr.Invalid("build_arg %q must look like KEY=value", kv)
		}
		if req.BuildArgs == nil {
			req.BuildArgs = map[string]string{}
		}
		req.BuildArgs[k] = v
	}
	return req, nil
}
