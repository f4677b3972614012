// Package image is the runner's image service (go-kit layering: service,
// endpoints, NATS transport, middleware): list, pull as a job with
// per-layer progress, remove.
//
// Tenancy. The image store of a Docker host is shared: one copy of an image
// serves every user who pulled it, read-only (a container never changes its
// image). A user "has" the references they pulled — recorded per user in
// the KV bucket "image-refs" — plus the images their containers use and the
// images they built (recorded in the same bucket by RecordBuild). Their
// list shows only those, and only
// the tags they put there. Remove drops the user's reference and removes
// the reference from Docker only when no other user holds it and no other
// user's container uses the image; otherwise the image stays for the
// others. Docker's own refusal (a container of theirs uses it) is quoted.
// As on any Docker host, pulling a tag again moves it to the registry's
// current image for everyone who holds it; containers keep the image they
// were created from.
// Images built by a user are tagged "<user>/<name>:<tag>" and recorded as
// theirs: other users can neither see, run, pull over nor remove them
// (see Access). Labels an image carries are never read for ownership.
// Admins see every image and remove any.
package image

import (
	"context"
	"log/slog"
	"time"

	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/jobs"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/names"
)

// Service manages the caller's images.
type Service interface {
	List(ctx context.Context, req msg.ImageListRequest) (msg.ImageList, error)
	Pull(ctx context.Context, req msg.ImagePullRequest) (msg.JobStarted, error)
	Remove(ctx context.Context, ref msg.ImageRef) (msg.ImageRemoveResult, error)
}

// Sentinel errors.
var (
	ErrNoCaller = apierr.New(apierr.CodeUnauthenticated, "no authenticated caller on the command")
)

// Options tune the service; zero values take the documented defaults.
type Options struct {
	// Concurrency bounds image commands handled at once (RUNNER_CONCURRENCY, 32).
	Concurrency int
	// PullTimeout bounds one pull (RUNNER_PULL_TIMEOUT, 30m).
	PullTimeout time.Duration
	// ProgressEvery is the shortest gap between two progress updates of one
	// layer (RUNNER_PULL_PROGRESS_EVERY, 100ms: ~10 updates/s per layer).
	ProgressEvery time.Duration
	// Registries, if set, are the only registries users may pull from, as
	// they appear in references: "docker.io", "ghcr.io", "127.0.0.1:5000"
	// (RUNNER_PULL_REGISTRIES, comma-separated; default: any). A pull
	// makes the engine connect where the reference says, so production
	// lists its registries (deploy/ sets docker.io).
	Registries []string
	// InternalRegistries are registries allowed although their host is an
	// IP literal or resolves to an internal address, which are otherwise
	// refused whatever Registries says (RUNNER_PULL_INTERNAL_REGISTRIES,
	// comma-separated "host:port" as in references, or a host alone for
	// any port; default: none). Tests list their local registry here.
	InternalRegistries []string
	// Resolver looks registry names up (default: the system's resolver).
	Resolver Resolver
}

// LoadOptions reads the options from the environment.
func LoadOptions(e *config.Env) Options {
	return Options{
		Concurrency:   e.Int("RUNNER_CONCURRENCY", 32),
		PullTimeout:   e.Duration("RUNNER_PULL_TIMEOUT", 30*time.Minute),
		ProgressEvery: e.Duration("RUNNER_PULL_PROGRESS_EVERY", jobs.DefaultEvery),
		Registries:    e.List("RUNNER_PULL_REGISTRIES", ""),

		InternalRegistries: e.List("RUNNER_PULL_INTERNAL_REGISTRIES", ""),
	}
}

func (o Options) withDefaults() Options {
	if o.Concurrency <= 0 {
		o.Concurrency = 32
	}
	if o.PullTimeout <= 0 {
		o.PullTimeout = 30 * time.Minute
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = jobs.DefaultEvery
	}
	return o
}

type service struct {
	docker *client.Client
	js     jetstream.JetStream
	refs   *Refs
	access *Access
	log    *slog.Logger
	opts   Options

	// tracker outlives each command: a pull goes on after its command replied.
	// Cancelling it (shutdown) ends every running pull, which then fails
	// its job instead of leaving it running.
	tracker *jobs.Tracker // background jobs, stopped at shutdown
}

// New returns the image service and a stop function that cancels running
// pulls and waits for them to record their end.
func New(docker *client.Client, js jetstream.JetStream, refs *Refs, log *slog.Logger, opts Options) (Service, func()) {
	s := &service{docker: docker, js: js, refs: refs, access: newAccessWithRefs(docker, refs, opts), log: log, opts: opts.withDefaults(), tracker: jobs.NewTracker()}
	return s, s.stop
}

func (s *service) stop() { s.tracker.Stop() }

// track counts a pull that is about to start, unless the service is
// stopping; the pull calls s.tracker.Done when it has ended its job.
func (s *service) track() bool { return s.tracker.Track() }

func caller(ctx context.Context) (identity.Caller, error) {
	c, err := identity.Require(ctx)
	if err != nil {
		return c, ErrNoCaller
	}
	// The username names an image namespace: re-check it where it is used.
	if err := names.ValidateUsername(c.Username); err != nil && !c.IsAdmin() {
		return c, apierr.Invalid("caller username: %v", err)
	}
	if err := validOwner(c.UserID); err != nil {
		return c, err
	}
	return c, nil
}
