package image

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/jobs"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/engine"
)

// Pull checks the reference and the caller's right to it, starts a pull
// job and replies with it at once; the pull itself runs on, reporting
// per-layer progress on job.<id>.progress. A malformed reference is refused
// here (Docker's parser's own words), not as a failed job.
func (s *service) Pull(ctx context.Context, req msg.ImagePullRequest) (msg.JobStarted, error) {
	c, err := caller(ctx)
	if err != nil {
		return msg.JobStarted{}, err
	}
	named, ref, err := Parse(req.Image)
	if err != nil {
		return msg.JobStarted{}, err
	}
	// The registry must pass the pull rules (allow-list, no internal
	// address), nobody pulls into another user's namespace (it would
	// replace their builds), nor touches an image another user built.
	if err := s.access.MayPull(ctx, c, ref); err != nil {
		return msg.JobStarted{}, err
	}
	if !s.track() {
		return msg.JobStarted{}, apierr.New(apierr.CodeUnavailable, "the runner is stopping; pull again in a moment")
	}
	job, err := jobs.Start(ctx, s.js, msg.JobImagePull, c, jobs.Target(ref))
	if err != nil {
		s.tracker.Done()
		return msg.JobStarted{}, err
	}
	// The pull outlives this command but keeps its trace and caller; it
	// ends with the service (shutdown) or after PullTimeout.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.PullTimeout)
	stop := context.AfterFunc(s.tracker.Context(), cancel)
	go func() {
		defer s.tracker.Done()
		defer stop()
		defer cancel()
		s.runPull(pctx, job, c, named, ref)
	}()
	return msg.JobStarted{Job: job.Info()}, nil
}

// runPull pulls ref and ends job, done or failed; nothing escapes it.
func (s *service) runPull(ctx context.Context, job *jobs.Job, c identity.Caller, named reference.Named, ref string) {
	fail := func(e *apierr.Error) {
		if err := job.Fail(e); err != nil {
			s.log.ErrorContext(ctx, "could not record a failed pull", "job", job.ID(), "image", ref, "err", err)
		}
	}
	if err := s.pull(ctx, job, ref); err != nil {
		if s.tracker.Context().Err() != nil {
			err = apierr.New(apierr.CodeUnavailable, "the runner stopped while pulling %q; pull it again", ref)
		}
		fail(apierr.From(err))
		return
	}
	// Record the reference only now that the image is really on the host.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	in, err := s.docker.ImageInspect(rctx, ref)
	if err != nil {
		fail(apierr.From(engine.FromDocker("inspect pulled image "+ref, err)))
		return
	}
	if err := s.refs.Put(rctx, Ref{Ref: ref, ImageID: in.ID, Owner: c.UserID, Username: c.Username, Pulled: time.Now().UTC()}); err != nil {
		fail(apierr.From(err))
		return
	}
	res := msg.ImagePullResult{Image: ref, ID: in.ID, Digest: repoDigest(in.RepoDigests, named)}
	if err := job.Done(res); err != nil {
		s.log.ErrorContext(rctx, "could not record a finished pull", "job", job.ID(), "image", ref, "err", err)
	}
	s.publish(rctx, "pull", c, ref, in.ID)
}

// pull runs Docker's pull, turning its output into throttled per-layer
// progress. It returns Docker's error, with Docker's text.
func (s *service) pull(ctx context.Context, job *jobs.Job, ref string) error {
	res, err := s.docker.ImagePull(ctx, ref, client.ImagePullOptions{})
	if err != nil {
		return pullError(ref, engine.DockerText(err), err)
	}
	th := jobs.NewThrottle(s.opts.ProgressEvery)
	for m, err := range res.JSONMessages(ctx) {
		if err != nil {
			if ctx.Err() != nil {
				return apierr.New(apierr.CodeTimeout, "pulling %q took longer than %s", ref, s.opts.PullTimeout)
			}
			return apierr.New(apierr.CodeUnavailable, "the pull of %q was cut off: %v", ref, err)
		}
		if m.Error != nil {
			return pullError(ref, m.Error.Message, nil)
		}
		if m.Status == "" || !th.Allow(m.ID, m.Status) {
			continue
		}
		if err := job.Progress(layerProgress(m)); err != nil {
			s.log.WarnContext(ctx, "pull progress lost", "job", job.ID(), "err", err)
		}
	}
	return nil
}

func layerProgress(m jsonstream.Message) msg.LayerProgress {
	p := msg.LayerProgress{ID: m.ID, Status: m.Status}
	if strings.HasPrefix(m.Status, "Pulling from ") {
		p.ID = "" // Docker puts the tag there: a line about the whole image
	}
	if m.Progress != nil {
		p.Current, p.Total = m.Progress.Current, m.Progress.Total
	}
	return p
}

// pullError classifies a failed pull by Docker's text, which it quotes.
// The engine reports some failures as an HTTP status (typed err) and
// others inside the stream (text only).
func pullError(ref, text string, err error) *apierr.Error {
	t := strings.ToLower(text)
	var e *apierr.Error
	switch {
	case err != nil && errors.Is(err, context.DeadlineExceeded):
		e = apierr.New(apierr.CodeTimeout, "pulling %q took too long", ref)
	case strings.Contains(t, "manifest unknown"), strings.Contains(t, "not found"),
		strings.Contains(t, "repository does not exist"), strings.Contains(t, "pull access denied"),
		strings.Contains(t, "name unknown"):
		e = apierr.NotFound("image %q was not found in its registry", ref)
	case strings.Contains(t, "connection refused"), strings.Contains(t, "no such host"),
		strings.Contains(t, "i/o timeout"), strings.Contains(t, "dial tcp"),
		strings.Contains(t, "tls:"), strings.Contains(t, "server gave http response"),
		strings.Contains(t, "connection reset"), strings.Contains(t, "timeout exceeded"):
		e = apierr.New(apierr.CodeUnavailable, "the registry of %q could not be reached", ref)
	case err != nil:
		return apierr.From(engine.FromDocker("pull image "+ref, err))
	default:
		e = apierr.Invalid("Docker could not pull %q", ref)
	}
	return e.WithDocker(text)
}

// repoDigest picks the manifest digest of named's repository.
func repoDigest(digests []string, named reference.Named) string {
	name := reference.FamiliarName(named)
	for _, d := range digests {
		if n, dg, ok := strings.Cut(d, "@"); ok && n == name {
			return dg
		}
	}
	return ""
}
