// Package jobs is the gateway's view of long jobs (image pulls now; builds
// and compose up later): GET /api/v1/jobs/{id} answers the job's state, and
// GET /api/v1/jobs/{id}/events relays its progress as server-sent events —
// the whole history first, then live until the job ends — so a page that
// reloads mid-pull redraws every progress bar. Only the job's owner and
// admins see a job; anyone else gets 404, as for a job that does not exist.
package jobs

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/jobs"
	"github.com/dockeronline/platform/pkg/msg"
)

// Service reads jobs for the caller.
type Service interface {
	Get(ctx context.Context, id string) (msg.Job, error)
	// Watch replays the job's events after the stream sequence after (0: all)
	// and follows it until it ends.
	Watch(ctx context.Context, id string, after uint64) (<-chan msg.JobEvent, error)
}

// ErrSeenAll is Watch's answer to a reader resuming past the final event
// of an ended job: there is nothing more to send, ever.
var ErrSeenAll = errors.New("the job has ended and every event was sent")

type service struct{ js jetstream.JetStream }

// New returns the service reading jobs from js.
func New(js jetstream.JetStream) Service { return &service{js: js} }

func (s *service) Get(ctx context.Context, id string) (msg.Job, error) {
	c, err := identity.Require(ctx)
	if err != nil {
		return msg.Job{}, err
	}
	j, err := jobs.Get(ctx, s.js, id)
	if err != nil {
		return msg.Job{}, err
	}
	if err := jobs.Authorize(j, c); err != nil {
		return msg.Job{}, err
	}
	return j, nil
}

func (s *service) Watch(ctx context.Context, id string, after uint64) (<-chan msg.JobEvent, error) {
	j, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if after > 0 && j.State.Terminal() {
		last, err := jobs.LastSeq(ctx, s.js, id)
		if err != nil {
			return nil, err
		}
		if after >= last {
			return nil, ErrSeenAll
		}
	}
	return jobs.Watch(ctx, s.js, id, jobs.After(after))
}
