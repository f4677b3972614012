package build

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/runner/access"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/image"
	"github.com/dockeronline/platform/services/runner/policy"
)

// Builder runs builds on the Docker engine with the classic builder: the
// engine here (API 1.41, no buildx) offers BuildKit only through a client
// session, and the classic builder's stream names each step, which is what
// a failing build must show. Every build is judged by the policy engine
// first (options, Dockerfile, the images it reads).
type Builder struct {
	docker     *client.Client
	policy     *policy.Engine
	registries []string
	networks   *engine.Networks
	slots      *slots
	cgroupRoot string
	quotas     Quotas
	buildkit   *buildkit // nil: the classic builder
}

// NewBuilder returns the runner's one builder: the build service and the
// stack service share it, so builds of both kinds draw from the same fair
// slots (BUILD_CONCURRENCY, BUILD_PER_USER, BUILD_QUEUE_PER_USER) and are
// narrowed to the same quotas. o.Registries, if set, are the only
// registries base images may be pulled from (RUNNER_PULL_REGISTRIES).
func NewBuilder(docker *client.Client, pol *policy.Engine, o Options) *Builder {
	o = o.withDefaults()
	b := &Builder{docker: docker, policy: pol, registries: o.Registries, networks: engine.NewNetworks(docker),
		slots: newSlots(o.Concurrency, o.PerUser, o.QueuePerUser), cgroupRoot: o.CgroupRoot, quotas: o.Quotas}
	if o.BuildKit.Addr != "" {
		b.buildkit = newBuildKit(docker, o.BuildKit)
	}
	return b
}

// BuildKit reports whether builds run on standalone BuildKit.
func (b *Builder) BuildKit() bool { return b.buildkit != nil }

// classicNote is said once at the start of every classic build.
const classicNote = "classic builder: heredocs, RUN --mount, COPY --chmod and # syntax= need BuildKit, which this runner is not configured with (RUNNER_BUILDKIT_ADDR)"

// Spec is one build.
type Spec struct {
	Caller  identity.Caller
	Tag     string // "<username>/<name>:<tag>"
	Context *Archive
	// Dockerfile is the Dockerfile's path in Context; Inline, if set, is
	// its text (added to the context under that path).
	Dockerfile   string
	Inline       string
	Args         map[string]string
	Target       string
	NoCache      bool
	Network      string
	Entitlements []string
	// Labels go on the image; the owner labels are always added.
	Labels map[string]string
	// Secrets are what RUN --mount=type=secret,id=<key> reads (BuildKit
	// only): mounted for the step, never written into a layer.
	Secrets map[string][]byte
}

// Prepared is a judged build, ready to run.
type Prepared struct {
	tar     []byte
	opts    client.ImageBuildOptions
	caller  identity.Caller
	pins    map[string]string // base image -> the id judged
	secrets map[string][]byte
	Tag     string
}

// Prepare judges spec and returns it ready to run: the Dockerfile parses,
// everything it reads is allowed to the caller, and the options pass the
// policy. Refusals name the rule.
func (b *Builder) Prepare(ctx context.Context, spec Spec) (*Prepared, error) {
	c := spec.Caller
	dfPath := spec.Dockerfile
	if dfPath == "" {
		dfPath = "Dockerfile"
	}
	if err := cleanPath("dockerfile_path", dfPath); err != nil {
		return nil, err
	}
	dfPath = path.Clean(dfPath)
	arch := spec.Context
	if arch == nil {
		arch = NewArchive()
	}
	df := []byte(spec.Inline)
	if spec.Inline == "" {
		var ok bool
		if df, ok = arch.File(dfPath); !ok {
			return nil, apierr.Invalid("the context has no Dockerfile at %q (a regular file, not a link)", dfPath)
		}
	}
	arch, err := arch.WithoutIgnored(dfPath) // what its ignore file excludes is never sent
	if err != nil {
		return nil, err
	}
	pins := map[string]string{}
	secretIDs := make([]string, 0, len(spec.Secrets))
	for id := range spec.Secrets {
		secretIDs = append(secretIDs, id)
	}
	// On BuildKit the judge reads the file as BuildKit's frontend does and
	// may return another text to build (cache mounts in the user's
	// namespace): that text, judged again, is what is built.
	refs, err := policy.CheckDockerfileWith(c, df, policy.DockerfileInput{Args: spec.Args,
		Base:     func(ref string) (policy.BaseImage, error) { return b.base(ctx, c, ref, pins) },
		BuildKit: b.BuildKit(), Target: spec.Target, Secrets: secretIDs})
	if err != nil {
		return nil, err
	}
	if refs.Dockerfile != nil {
		df = refs.Dockerfile
	}
	if spec.Target != "" && !hasStage(refs.Stages, spec.Target) {
		return nil, apierr.Invalid("target %q is not a stage of the Dockerfile (stages: %s)", spec.Target, strings.Join(named(refs.Stages), ", "))
	}
	// Nobody builds from or copies out of another user's image.
	for _, img := range refs.Images {
		if err := image.MayUse(ctx, b.docker, c, img); err != nil {
			return nil, err
		}
		if err := AllowedRegistry(ctx, b.docker, b.registries, img); err != nil {
			return nil, err
		}
		// Images read only by COPY --from (or RUN --mount from=) are pinned
		// too: BuildKit is given exactly the pinned images, and the classic
		// builder is checked against them.
		if _, familiar, err := image.Parse(img); err == nil && pins[familiar] == "" {
			if _, err := b.base(ctx, c, img, pins); err != nil {
				return nil, err
			}
		}
	}
	labels := map[string]string{}
	for k, v := range spec.Labels {
		labels[k] = v
	}
	labels[policy.LabelOwner] = c.UserID
	labels[policy.LabelUsername] = c.Username
	args := map[string]*string{}
	for k, v := range spec.Args {
		args[k] = &v
	}
	o := client.ImageBuildOptions{
		Tags:        []string{spec.Tag}, // Dockerfile: set with the context below
		BuildArgs:   args,
		Target:      spec.Target,
		NoCache:     spec.NoCache,
		NetworkMode: spec.Network,
		Labels:      labels,
		Remove:      true, ForceRemove: true, // no intermediate containers left behind
		Version: build.BuilderV1,
	}
	b.policy.ApplyBuild(c, &o)
	if err := b.policy.AdmitBuild(c, &o, spec.Entitlements); err != nil {
		return nil, err
	}
	tarball, name, err := arch.Context(df)
	if err != nil {
		if ae := apierr.From(err); ae.Code != apierr.CodeInternal {
			return nil, ae
		}
		return nil, apierr.New(apierr.CodeInternal, "could not prepare the build context: %v", err)
	}
	o.Dockerfile = name
	return &Prepared{tar: tarball, opts: o, caller: c, pins: pins, secrets: spec.Secrets, Tag: spec.Tag}, nil
}

// Run waits for a fair build slot (saying so), then runs a prepared build
// bounded like a container: on the caller's own network, its RUN steps
// under a cgroup parent whose pids.max is the container pids limit. It
// reports the output to log and returns the image id. A failed build is an
// *apierr.Error naming the failed step and quoting Docker.
func (b *Builder) Run(ctx context.Context, p *Prepared, log LogFunc) (string, error) {
	release, err := b.slots.acquire(ctx, p.caller.UserID, func() {
		log(msg.BuildLog{Lines: []string{fmt.Sprintf("Waiting for a build slot (%d per user, others' builds go first)…", b.slots.perUser)}})
	})
	if err != nil {
		return "", apierr.New(apierr.CodeTimeout, "the build of %s waited too long for a build slot: %v", p.Tag, err)
	}
	defer release()
	if err := b.checkPins(ctx, p.pins); err != nil {
		return "", err
	}
	o := p.opts
	if err := b.bound(ctx, p.caller.UserID, &o); err != nil {
		return "", err
	}
	if b.buildkit != nil {
		cg, release, err := b.buildkit.cgroup(b.cgroupRoot, p.caller.UserID, b.policy.Limits.PidsLimit)
		if err != nil {
			return "", err
		}
		defer release()
		id, err := b.buildkit.run(ctx, p, o, cg, newOutput(log))
		if err != nil {
			if ctx.Err() != nil {
				return "", apierr.New(apierr.CodeTimeout, "the build of %s was stopped: %v", p.Tag, context.Cause(ctx))
			}
			return "", apierr.From(err)
		}
		return id, image.RecordBuild(ctx, p.opts.Labels[policy.LabelOwner], p.opts.Labels[policy.LabelUsername], p.Tag, id)
	}
	log(msg.BuildLog{Lines: []string{classicNote}})
	cg, err := newBuildCgroup(b.cgroupRoot, b.policy.Limits.PidsLimit)
	if err != nil {
		return "", err
	}
	// Best effort: a leftover is an empty cgroup with a pids limit.
	defer func() { _ = cg.remove() }()
	if o.NetworkMode == names.Docker(p.caller.Username, policy.DefaultNetwork) {
		if _, err := b.networks.EnsureDefault(ctx, access.Tenant(p.caller)); err != nil {
			return "", err
		}
	}
	o.CgroupParent = cg.Parent()
	res, err := b.docker.ImageBuild(ctx, bytes.NewReader(p.tar), o)
	if err != nil {
		return "", engine.FromDocker("build "+p.Tag, err)
	}
	defer res.Body.Close()
	out := newOutput(log)
	id, err := readBuild(res.Body, out)
	if err != nil {
		if ctx.Err() != nil {
			return "", apierr.New(apierr.CodeTimeout, "the build of %s was stopped: %v", p.Tag, context.Cause(ctx))
		}
		if ae := apierr.From(err); ae.Code != apierr.CodeInternal || ae.Docker != "" {
			return "", ae
		}
		return "", apierr.New(apierr.CodeUnavailable, "the build of %s was cut off: %v", p.Tag, err)
	}
	return id, image.RecordBuild(ctx, p.opts.Labels[policy.LabelOwner], p.opts.Labels[policy.LabelUsername], p.Tag, id)
}

func hasStage(stages []string, target string) bool {
	for _, s := range stages {
		if s != "" && strings.EqualFold(s, target) {
			return true
		}
	}
	return false
}

func named(stages []string) []string {
	var out []string
	for _, s := range stages {
		if s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return []string{"none named"}
	}
	return out
}

// cleanPath refuses a path that is absolute or leaves the context.
func cleanPath(field, p string) error {
	c := path.Clean(p)
	if strings.HasPrefix(p, "/") || c == ".." || strings.HasPrefix(c, "../") || strings.Contains(p, `\`) {
		return &apierr.Error{Code: apierr.CodePolicy, Rule: policy.RulePath,
			Message: fmt.Sprintf("%s %q must be a path inside the context", field, p)}
	}
	return nil
}

// AllowedRegistry refuses an image that is not on the host and would be
// pulled from a registry outside registries (when set): the engine pulls
// for builds and stacks as it does for POST /images/pull.
func AllowedRegistry(ctx context.Context, docker *client.Client, registries []string, ref string) error {
	if len(registries) == 0 {
		return nil
	}
	named, familiar, err := image.Parse(ref)
	if err != nil {
		return err
	}
	if _, err := docker.ImageInspect(ctx, familiar); err == nil {
		return nil
	}
	domain := reference.Domain(named)
	for _, r := range registries {
		if r == domain {
			return nil
		}
	}
	return apierr.Policy(image.RuleRegistry, "image %q would be pulled from %s, which is not allowed here; allowed registries: %s",
		familiar, domain, strings.Join(registries, ", "))
}
