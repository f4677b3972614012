// Package images is the gateway's image API: list, pull (a job: 202 with
// the job's id and where to follow it), remove. The runner applies the
// tenancy rules (see services/runner/image); the gateway authenticates,
// checks the input's shape and asks.
package images

import (
	"context"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Service is the image API.
type Service interface {
	List(ctx context.Context, req msg.ImageListRequest) (msg.ImageList, error)
	Pull(ctx context.Context, req msg.ImagePullRequest) (msg.JobStarted, error)
	Remove(ctx context.Context, ref msg.ImageRef) (msg.ImageRemoveResult, error)
}

// MaxRef bounds an image reference: Docker's own limit on a name is 255
// bytes, plus a tag (128) or a digest (~72).
const MaxRef = 512

type service struct{ nc *nats.Conn }

// New returns the service sending commands on nc.
func New(nc *nats.Conn) Service { return &service{nc: nc} }

func runner[Resp any](ctx context.Context, nc *nats.Conn, op subjects.RunnerOp, req any) (Resp, error) {
	return bus.Request[Resp](ctx, nc, subjects.RunnerRequestSubject(op), req)
}

func (s *service) List(ctx context.Context, req msg.ImageListRequest) (msg.ImageList, error) {
	return runner[msg.ImageList](ctx, s.nc, subjects.ImageList, req)
}

func (s *service) Pull(ctx context.Context, req msg.ImagePullRequest) (msg.JobStarted, error) {
	if err := checkRef("image", req.Image); err != nil {
		return msg.JobStarted{}, err
	}
	started, err := runner[msg.JobStarted](ctx, s.nc, subjects.ImagePull, req)
	if err != nil {
		return started, err
	}
	started.Status = "/api/v1/jobs/" + started.Job.ID
	started.Events = started.Status + "/events"
	return started, nil
}

func (s *service) Remove(ctx context.Context, ref msg.ImageRef) (msg.ImageRemoveResult, error) {
	if err := checkRef("image reference", ref.Ref); err != nil {
		return msg.ImageRemoveResult{}, err
	}
	return runner[msg.ImageRemoveResult](ctx, s.nc, subjects.ImageRemove, ref)
}

// checkRef checks the shape of a reference, at the HTTP edge and again in
// the service (which other gateway code may call): present, bounded, printable
// ASCII without spaces. The runner parses it fully with Docker's own
// parser and answers a malformed one at once, quoting it.
func checkRef(what, s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return apierr.Invalid("%s is required", what)
	case len(s) > MaxRef:
		return apierr.Invalid("%s is longer than %d bytes", what, MaxRef)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return apierr.Invalid("%s %q may only hold printable ASCII without spaces", what, s)
		}
	}
	return nil
}
