// Package builds is the gateway's build API: POST /api/v1/builds takes a
// Dockerfile alone (JSON), or a build context — a tar or tar.gz, as the
// request body or as the "context" part of a multipart form — which it
// streams into the JetStream object store (see Uploads) before asking the
// runner. The runner judges and runs the build as a job; the answer is 202
// with the job, whose events are the build log.
package builds

import (
	"context"
	"io"

	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Request is a build as the HTTP transport decoded it: the command and the
// uploaded context, still streaming (nil for a Dockerfile-only build).
type Request struct {
	Build   msg.BuildRequest
	Context io.Reader
}

// Service is the build API.
type Service interface {
	Build(ctx context.Context, req Request) (msg.JobStarted, error)
}

type service struct {
	nc      *nats.Conn
	uploads *Uploads
}

// New returns the service: contexts go to uploads, commands on nc.
func New(nc *nats.Conn, uploads *Uploads) Service { return &service{nc: nc, uploads: uploads} }

func (s *service) Build(ctx context.Context, req Request) (msg.JobStarted, error) {
	c, err := identity.Require(ctx)
	if err != nil {
		return msg.JobStarted{}, apierr.New(apierr.CodeUnauthenticated, "sign in to build")
	}
	if err := checkShape(req.Build); err != nil {
		return msg.JobStarted{}, err
	}
	if req.Context != nil {
		name, err := s.uploads.Put(ctx, c.UserID, req.Context)
		if err != nil {
			return msg.JobStarted{}, err
		}
		req.Build.Context = name
	}
	started, err := bus.Request[msg.JobStarted](ctx, s.nc, subjects.RunnerRequestSubject(subjects.BuildStart), req.Build)
	if err != nil {
		if req.Build.Context != "" {
			s.uploads.Delete(ctx, req.Build.Context)
		}
		return started, err
	}
	started.Status = "/api/v1/jobs/" + started.Job.ID
	started.Events = started.Status + "/events"
	return started, nil
}

// checkShape refuses what is malformed before anything is uploaded; the
// runner checks again and judges the build.
func checkShape(b msg.BuildRequest) error {
	if err := names.ValidateObject("image", b.Name); err != nil {
		return apierr.Invalid("%v", err)
	}
	if b.Context != "" {
		return apierr.Invalid("context is not a name: upload the context as the request body (a tar or tar.gz) or as the \"context\" part of a multipart form")
	}
	return nil
}
