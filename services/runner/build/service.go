// Package build is the runner's build service (go-kit layering: service,
// endpoints, NATS transport, middleware): POST /api/v1/builds. A build
// takes a Dockerfile alone or an uploaded context (tar or tar.gz, carried
// by the JetStream object store bucket "contexts"), is judged by the policy
// engine (options, Dockerfile, the images it reads), runs as a job whose
// progress is the build log, tags the image "<user>/<name>:<tag>" with the
// owner labels, and optionally runs the result through the container
// service. The Builder is shared with stacks (services/runner/stack).
package build

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/jobs"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/runner/access"
	"github.com/dockeronline/platform/services/runner/policy"
)

// Service builds images for the caller.
type Service interface {
	Start(ctx context.Context, req msg.BuildRequest) (msg.JobStarted, error)
}

// Containers is what a build needs of the container service to run its
// result (container.Service satisfies it).
type Containers interface {
	Create(ctx context.Context, req msg.ContainerCreate) (msg.Container, error)
}

// Options tune builds; zero values take the documented defaults.
type Options struct {
	// MaxContextMB bounds an uploaded context as sent (BUILD_MAX_CONTEXT_MB,
	// 50); MaxUnpackedMB bounds it unpacked (BUILD_MAX_UNPACKED_MB, 200).
	MaxContextMB  int
	MaxUnpackedMB int
	// Concurrency bounds builds running at once on this runner
	// (BUILD_CONCURRENCY, 2); more wait their turn, saying so. PerUser
	// bounds those of one user (BUILD_PER_USER, 1), so one user cannot
	// hold every slot.
	Concurrency int
	PerUser     int
	// QueuePerUser bounds one user's builds waiting or running
	// (BUILD_QUEUE_PER_USER, 4): each holds its context in memory.
	QueuePerUser int
	// CgroupRoot is where the cgroup hierarchies are mounted
	// (BUILD_CGROUP_ROOT, /sys/fs/cgroup): the runner makes each build's
	// pids-limited cgroup parent there (cgroupfs driver).
	CgroupRoot string
	// Timeout bounds one build (BUILD_TIMEOUT, 30m).
	Timeout time.Duration
	// Registries, if set, are the only registries base images may be
	// pulled from (RUNNER_PULL_REGISTRIES, as for pulls; default: any).
	Registries []string
	// Quotas, if set, narrow a build's memory and CPU to the user's quota
	// (the app sets the quota gate).
	Quotas Quotas
	// BuildKit, if its Addr is set, builds with standalone BuildKit
	// instead of the engine's classic builder.
	BuildKit BuildKitOptions
}

// BuildKitOptions configure the BuildKit backend.
type BuildKitOptions struct {
	// Addr is buildkitd's address (RUNNER_BUILDKIT_ADDR, e.g.
	// unix:///…/buildkitd.sock; default empty: the classic builder).
	Addr string
	// Dir holds the runner's BuildKit files: contexts unpacked for a
	// build, base images laid out as OCI stores (RUNNER_BUILDKIT_DIR,
	// <tmp>/dockeronline-buildkit).
	Dir string
	// BaseCacheMB bounds the base image layouts kept under Dir
	// (RUNNER_BUILDKIT_BASE_CACHE_MB, 10240); least recently used go first.
	BaseCacheMB int64
}

// LoadOptions reads the options from the environment.
func LoadOptions(e *config.Env) Options {
	return Options{
		MaxContextMB:  e.Int("BUILD_MAX_CONTEXT_MB", 50),
		MaxUnpackedMB: e.Int("BUILD_MAX_UNPACKED_MB", 200),
		Concurrency:   e.Int("BUILD_CONCURRENCY", 2),
		PerUser:       e.Int("BUILD_PER_USER", 1),
		QueuePerUser:  e.Int("BUILD_QUEUE_PER_USER", 4),
		CgroupRoot:    e.String("BUILD_CGROUP_ROOT", "/sys/fs/cgroup"),
		Timeout:       e.Duration("BUILD_TIMEOUT", 30*time.Minute),
		Registries:    e.List("RUNNER_PULL_REGISTRIES", ""),
		BuildKit: BuildKitOptions{
			Addr:        e.String("RUNNER_BUILDKIT_ADDR", ""),
			Dir:         e.String("RUNNER_BUILDKIT_DIR", filepath.Join(os.TempDir(), "dockeronline-buildkit")),
			BaseCacheMB: int64(e.Int("RUNNER_BUILDKIT_BASE_CACHE_MB", 10240)),
		},
	}
}

func (o Options) withDefaults() Options {
	if o.MaxContextMB <= 0 {
		o.MaxContextMB = 50
	}
	if o.MaxUnpackedMB <= 0 {
		o.MaxUnpackedMB = 200
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 2
	}
	if o.PerUser <= 0 {
		o.PerUser = 1
	}
	if o.QueuePerUser <= 0 {
		o.QueuePerUser = 4
	}
	if o.CgroupRoot == "" {
		o.CgroupRoot = "/sys/fs/cgroup"
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Minute
	}
	if o.BuildKit.Dir == "" {
		o.BuildKit.Dir = filepath.Join(os.TempDir(), "dockeronline-buildkit")
	}
	if o.BuildKit.BaseCacheMB <= 0 {
		o.BuildKit.BaseCacheMB = 10240
	}
	return o
}

// MaxContext is the largest upload accepted, in bytes.
func (o Options) MaxContext() int64 { return int64(o.withDefaults().MaxContextMB) << 20 }

// MaxUnpacked is the largest unpacked context accepted, in bytes.
func (o Options) MaxUnpacked() int64 { return int64(o.withDefaults().MaxUnpackedMB) << 20 }

// Limits of a request, checked before anything runs.
const (
	maxBuildArgs   = 100
	maxArgValue    = 4 << 10
	maxDockerfile  = 256 << 10
	maxTargetChars = 128
)

var (
	tagRE    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	argKeyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	targetRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
)

type service struct {
	docker     *client.Client
	js         jetstream.JetStream
	policy     *policy.Engine
	builder    *Builder
	containers Containers
	log        *slog.Logger
	opts       Options

	// tracker outlives each command (a build goes on after the reply);
	// cancelling it at shutdown fails the running builds' jobs.
	tracker *jobs.Tracker // background jobs, stopped at shutdown
}

// New returns the build service and a stop function that cancels running
// builds and waits until their jobs have recorded the end. builder is the
// runner's one builder (NewBuilder). containers may be nil (then a build
// with run is refused).
func New(docker *client.Client, js jetstream.JetStream, pol *policy.Engine, builder *Builder, containers Containers, log *slog.Logger, opts Options) (Service, func()) {
	opts = opts.withDefaults()
	s := &service{docker: docker, js: js, policy: pol, builder: builder, containers: containers,
		log: log, opts: opts, tracker: jobs.NewTracker()}
	return s, s.stop
}

func (s *service) stop() { s.tracker.Stop() }

// track counts a build about to start, unless the service is stopping.
func (s *service) track() bool { return s.tracker.Track() }

// Tag is the reference a user's build is tagged with: "<user>/<name>:<tag>".
func Tag(username, name, tag string) string {
	if tag == "" {
		tag = "latest"
	}
	return username + "/" + name + ":" + tag
}

// Start checks the request, judges the build, and starts it as a job; the
// reply comes at once with the job. Everything that can be refused before
// the engine runs a step is refused here, as a 4xx.
func (s *service) Start(ctx context.Context, req msg.BuildRequest) (msg.JobStarted, error) {
	c, err := access.Caller(ctx)
	if err != nil {
		return msg.JobStarted{}, err
	}
	if err := validate(req); err != nil {
		return msg.JobStarted{}, err
	}
	// Before the upload is read: a user's queued builds hold their
	// contexts in memory.
	reserved, err := s.builder.Reserve(c)
	if err != nil {
		return msg.JobStarted{}, err
	}
	started := false
	defer func() {
		if !started {
			reserved()
		}
	}()
	tag := Tag(c.Username, req.Name, req.Tag)
	var run *msg.ContainerSpec
	if req.Run != nil {
		if s.containers == nil {
			return msg.JobStarted{}, apierr.New(apierr.CodeUnavailable, "running a build's result is not available on this runner")
		}
		spec := *req.Run
		spec.Image = tag
		// Judge the container now, not after a long build.
		if _, err := s.policy.Container(c, access.Tenant(c), spec, nil); err != nil {
			return msg.JobStarted{}, err
		}
		run = &spec
	}
	arch := NewArchive()
	if req.Context != "" {
		raw, err := FetchUpload(ctx, s.js, c, req.Context, s.opts.MaxContext())
		if err != nil {
			return msg.JobStarted{}, err
		}
		if arch, err = Unpack(raw, s.opts.MaxUnpacked()); err != nil {
			return msg.JobStarted{}, err
		}
	} else if req.Dockerfile == "" {
		return msg.JobStarted{}, apierr.Invalid("a build needs a Dockerfile, a context, or both")
	}
	prep, err := s.builder.Prepare(ctx, Spec{
		Caller: c, Tag: tag, Context: arch, Dockerfile: req.DockerfilePath, Inline: req.Dockerfile,
		Args: req.BuildArgs, Target: req.Target, NoCache: req.NoCache, Network: req.Network,
		Entitlements: req.Entitlements, Labels: map[string]string{policy.LabelName: req.Name},
		Secrets: SecretBytes(req.Secrets),
	})
	if err != nil {
		return msg.JobStarted{}, err
	}
	if !s.track() {
		return msg.JobStarted{}, apierr.New(apierr.CodeUnavailable, "the runner is stopping; build again in a moment")
	}
	job, err := jobs.Start(ctx, s.js, msg.JobBuild, c, jobs.Target(tag))
	if err != nil {
		s.tracker.Done()
		return msg.JobStarted{}, err
	}
	// The build outlives this command but keeps its trace and caller.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.Timeout)
	stop := context.AfterFunc(s.tracker.Context(), cancel)
	started = true
	go func() {
		defer reserved()
		defer s.tracker.Done()
		defer stop()
		defer cancel()
		s.run(bctx, job, c, prep, run)
	}()
	return msg.JobStarted{Job: job.Info()}, nil
}

// run builds (the builder waits for a fair slot), runs the result if
// asked, and ends the job exactly once.
func (s *service) run(ctx context.Context, job *jobs.Job, c identity.Caller, p *Prepared, run *msg.ContainerSpec) {
	fail := func(e *apierr.Error) {
		if err := job.Fail(e); err != nil {
			s.log.ErrorContext(ctx, "could not record a failed build", "job", job.ID(), "image", p.Tag, "err", err)
		}
	}
	progress := func(l msg.BuildLog) {
		if err := job.Progress(l); err != nil {
			s.log.WarnContext(ctx, "build progress lost", "job", job.ID(), "err", err)
		}
	}
	id, err := s.builder.Run(ctx, p, progress)
	if err != nil {
		if s.tracker.Context().Err() != nil {
			err = s.stopped(ctx, p.Tag)
		}
		fail(apierr.From(err))
		return
	}
	res := msg.BuildResult{Image: p.Tag, ID: id}
	s.publish(ctx, c, p.Tag, id)
	if run != nil {
		progress(msg.BuildLog{Lines: []string{"Starting container " + run.Name + " from " + p.Tag}})
		ct, err := s.containers.Create(ctx, msg.ContainerCreate{Spec: *run})
		if err != nil {
			e := *apierr.From(err)
			e.Message = "built " + p.Tag + ", but could not run it: " + e.Message
			fail(&e)
			return
		}
		res.Container = &ct
	}
	if err := job.Done(res); err != nil {
		s.log.ErrorContext(ctx, "could not record a finished build", "job", job.ID(), "image", p.Tag, "err", err)
	}
}

func (s *service) stopped(ctx context.Context, tag string) *apierr.Error {
	if s.tracker.Context().Err() != nil {
		return apierr.New(apierr.CodeUnavailable, "the runner stopped while building %s; build it again", tag)
	}
	return apierr.New(apierr.CodeTimeout, "building %s took longer than %s", tag, s.opts.Timeout)
}

// validate checks the request's shape: names, tag, args, paths. The
// policy engine judges the rest.
func validate(req msg.BuildRequest) error {
	if err := names.ValidateObject("image", req.Name); err != nil {
		return apierr.Invalid("%v", err)
	}
	if req.Tag != "" && !tagRE.MatchString(req.Tag) {
		return apierr.Invalid("tag %q must be 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'", req.Tag)
	}
	if len(req.Dockerfile) > maxDockerfile {
		return apierr.Invalid("the Dockerfile is larger than %d KB", maxDockerfile>>10)
	}
	if req.DockerfilePath != "" {
		if err := cleanPath("dockerfile_path", req.DockerfilePath); err != nil {
			return err
		}
	}
	if len(req.BuildArgs) > maxBuildArgs {
		return apierr.Invalid("at most %d build args", maxBuildArgs)
	}
	for k, v := range req.BuildArgs {
		if !argKeyRE.MatchString(k) {
			return apierr.Invalid("build arg %q is not a valid name", k)
		}
		if len(v) > maxArgValue {
			return apierr.Invalid("build arg %s is longer than %d bytes", k, maxArgValue)
		}
	}
	if req.Target != "" && (len(req.Target) > maxTargetChars || !targetRE.MatchString(req.Target)) {
		return apierr.Invalid("target %q is not a stage name", req.Target)
	}
	return ValidateSecrets(req.Secrets)
}
