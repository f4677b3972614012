// Package stack is the runner's Compose stack service (go-kit layering:
// service, endpoints, NATS transport, middleware): up (a job), down, list
// and inspect of a user's stacks.
//
// A compose file is parsed and normalized with compose-go (load.go), put
// into the user's namespace (normalize.go), judged by the policy engine —
// every service, volume, network, config and secret (policy.Engine.Compose)
// — and deployed with the official Compose SDK (compose.go), whose Docker
// client is a guard (guard.go) that applies the tenancy rules and the
// policy again to every object as it reaches Docker. Services with build:
// are built first by the platform's builder (services/runner/build), from
// the uploaded project only. A failed first up rolls back what it made.
package stack

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/jobs"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/runner/build"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/policy"
	"github.com/dockeronline/platform/services/runner/quota"
)

// Service manages the caller's stacks.
type Service interface {
	Up(ctx context.Context, req msg.StackUpRequest) (msg.JobStarted, error)
	Down(ctx context.Context, ref msg.StackRef) (msg.StackDownResult, error)
	List(ctx context.Context, req msg.StackListRequest) (msg.StackList, error)
	Get(ctx context.Context, ref msg.StackRef) (msg.Stack, error)
	// Variables lists the variables a compose file uses, with the
	// uploaded project's .env values (the stack form's inputs).
	Variables(ctx context.Context, req msg.StackVariablesRequest) (msg.StackVariables, error)
}

// Options tune stacks; zero values take the documented defaults.
type Options struct {
	// WorkDir is where project directories are unpacked (STACK_WORKDIR,
	// the system's temporary directory).
	WorkDir string
	// UpTimeout bounds one up, builds included (STACK_UP_TIMEOUT, 30m).
	UpTimeout time.Duration
	// StopTimeout caps a service's stop_grace_period, how long its
	// containers get to stop on down, restart and recreate
	// (STACK_STOP_TIMEOUT, 10s, Docker's default grace period).
	StopTimeout time.Duration
	// Parallel bounds Compose's concurrent engine calls (STACK_PARALLEL, 4).
	Parallel int
	// Build bounds uploads (BUILD_MAX_CONTEXT_MB, BUILD_MAX_UNPACKED_MB).
	Build build.Options
	// Input bounds what a compose file may cost (STACK_MAX_COMPOSE_KB,
	// STACK_LOAD_TIMEOUT, …: yaml_limits.go).
	Input InputLimits
	// Apps is where web links live (APPS_DOMAIN, APPS_URL_TEMPLATE,
	// APPS_PORT: pkg/config Apps, read as the gateway reads them), for
	// the notes that say which link a ports: entry became.
	Apps config.Apps
}

// LoadOptions reads the options from the environment.
func LoadOptions(e *config.Env) Options {
	apps, _ := config.LoadApps(e) // a malformed value is in e.Err()
	return Options{
		WorkDir:     e.String("STACK_WORKDIR", ""),
		UpTimeout:   e.Duration("STACK_UP_TIMEOUT", 30*time.Minute),
		StopTimeout: e.Duration("STACK_STOP_TIMEOUT", 10*time.Second),
		Parallel:    e.Int("STACK_PARALLEL", 4),
		Build:       build.LoadOptions(e),
		Input:       LoadInputLimits(e),
		Apps:        apps,
	}
}

func (o Options) withDefaults() Options {
	if o.UpTimeout <= 0 {
		o.UpTimeout = 30 * time.Minute
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = 10 * time.Second
	}
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	o.Input = o.Input.withDefaults()
	return o
}

// Limits of a request's env (the compose file's are Options.Input): a
// value is substituted wherever ${VAR} names it, and the whole request
// must stay well under a bus message (bus.MaxRequestBytes).
const (
	maxEnv      = 200
	maxEnvVal   = 32 << 10
	maxEnvTotal = 128 << 10
)

var envKeyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

type service struct {
	docker   *client.Client
	js       jetstream.JetStream
	policy   *policy.Engine
	quota    *quota.Gate
	builder  *build.Builder
	networks *engine.Networks
	log      *slog.Logger
	opts     Options
	// configDir is the Docker CLI configuration the Compose SDK reads: an
	// empty folder of the runner's (see composeFor).
	configDir string

	// loads bounds compose-go loads at once, unpacks the uploads being
	// unpacked and judged: each holds memory for its input.
	loads, unpacks *loadSlots

	tracker *jobs.Tracker // background jobs, stopped at shutdown
	locks   sync.Map      // "<owner>/<stack>" → *sync.Mutex: one up or down of a stack at a time
}

// New returns the stack service and a stop function that cancels running
// ups and waits until their jobs have recorded the end. builder is the
// runner's one builder (build.NewBuilder), shared with the build service.
func New(docker *client.Client, js jetstream.JetStream, pol *policy.Engine, gate *quota.Gate, builder *build.Builder, log *slog.Logger, opts Options) (Service, func()) {
	s := &service{docker: docker, js: js, policy: pol, quota: gate, builder: builder,
		networks: engine.NewNetworks(docker), log: log, opts: opts.withDefaults(), tracker: jobs.NewTracker()}
	s.loads, s.unpacks = newLoadSlots(s.opts.Input.LoadConcurrency), newLoadSlots(s.opts.Input.LoadConcurrency)
	dir, err := os.MkdirTemp(opts.WorkDir, "compose-config-")
	if err != nil {
		log.Error("stacks: no folder for Compose's configuration; using a fixed path", "err", err)
		dir = filepath.Join(os.TempDir(), "dockeronline-compose-config")
	}
	s.configDir = dir
	return s, func() { s.stop(); _ = os.RemoveAll(dir) }
}

func (s *service) stop() { s.tracker.Stop() }

func (s *service) track() bool { return s.tracker.Track() }

// lock serialises ups and downs of one stack on this runner.
func (s *service) lock(owner, stack string) func() {
	m, _ := s.locks.LoadOrStore(owner+"/"+stack, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

func validateUp(req msg.StackUpRequest, lim InputLimits) error {
	if err := names.ValidateObject("stack", req.Name); err != nil {
		return apierr.Invalid("%v", err)
	}
	if req.Compose == "" {
		return apierr.Invalid("compose is required: the compose file's YAML")
	}
	if len(req.Compose) > lim.MaxBytes {
		return apierr.Policy(RuleComposeSize, "the compose file is %d KB, more than the %d KB a stack may send: move data into the upload and keep the compose file short", len(req.Compose)>>10, lim.MaxBytes>>10)
	}
	if len(req.Env) > maxEnv {
		return apierr.Invalid("at most %d env variables", maxEnv)
	}
	total := 0
	for k, v := range req.Env {
		if total += len(k) + len(v); total > maxEnvTotal {
			return apierr.Policy(RuleComposeInterpolation, "env holds more than %d KB in all: pass fewer or shorter variables", maxEnvTotal>>10)
		}
		if !envKeyRE.MatchString(k) {
			return apierr.Invalid("env variable %q is not a valid name", k)
		}
		if len(v) > maxEnvVal {
			return apierr.Invalid("env variable %s is longer than %d bytes", k, maxEnvVal)
		}
	}
	return nil
}
