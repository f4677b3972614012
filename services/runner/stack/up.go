package stack

import (
	"context"
	"errors"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/compose/v5/pkg/api"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/jobs"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/runner/access"
	"github.com/dockeronline/platform/services/runner/build"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/image"
	"github.com/dockeronline/platform/services/runner/policy"
)

// plannedBuild is a service's image, judged and ready to build.
type plannedBuild struct {
	service string
	prep    *build.Prepared
}

// Up checks the stack and starts deploying it as a job. Everything that can
// be refused before Docker is touched — a compose file compose-go rejects,
// any policy refusal, an image the caller may not use, an external network
// or volume that is not theirs — is refused here, as a 4xx, and nothing is
// created.
func (s *service) Up(ctx context.Context, req msg.StackUpRequest) (msg.JobStarted, error) {
	c, err := access.Caller(ctx)
	if err != nil {
		return msg.JobStarted{}, err
	}
	t, err := s.quota.Tenant(ctx, c) // with the runtime an admin chose
	if err != nil {
		return msg.JobStarted{}, err
	}
	if err := validateUp(req, s.opts.Input); err != nil {
		return msg.JobStarted{}, err
	}
	arch := build.NewArchive()
	if req.Context != "" {
		// An upload is held in memory while it is judged: a few at once.
		release, err := s.unpacks.acquire(ctx)
		if err != nil {
			return msg.JobStarted{}, err
		}
		defer release()
		raw, err := build.FetchUpload(ctx, s.js, c, req.Context, s.opts.Build.MaxContext())
		if err != nil {
			return msg.JobStarted{}, err
		}
		if err := countEntries(raw, maxUploadEntries, s.opts.Build.MaxUnpacked()); err != nil {
			return msg.JobStarted{}, err
		}
		if arch, err = build.Unpack(raw, s.opts.Build.MaxUnpacked()); err != nil {
			return msg.JobStarted{}, err
		}
	}
	dir, err := newProjectDir(s.opts.WorkDir, arch, []byte(req.Compose))
	if err != nil {
		return msg.JobStarted{}, err
	}
	// Everything read from it is read before the reply: the builds are
	// prepared in memory, and Compose reads no file (those are refused).
	defer dir.remove()
	project, err := load(ctx, dir, names.Docker(t.Username, req.Name), []byte(req.Compose), req.Env, s.opts.Input, s.loads)
	if err != nil {
		return msg.JobStarted{}, err
	}
	if len(project.Services) == 0 {
		return msg.JobStarted{}, apierr.Invalid("the compose file has no services to run")
	}
	tr := &translation{project: project, dir: dir, tenant: t, stack: req.Name, apps: s.opts.Apps}
	if err := translate(tr); err != nil {
		return msg.JobStarted{}, err
	}
	if err := boundCopies(tr, s.opts.Build.MaxUnpacked()); err != nil {
		return msg.JobStarted{}, err
	}
	if err := normalize(project, t, req.Name, s.policy.Limits, s.opts.StopTimeout); err != nil {
		return msg.JobStarted{}, err
	}
	if err := s.policy.Compose(c, t, project, dir.path); err != nil {
		return msg.JobStarted{}, err
	}
	// Judged whole; then, as Compose's own loader does, what no service
	// uses is not made.
	project = project.WithoutUnnecessaryResources()
	// env_file is refused above, so this resolves `environment: [KEY]`
	// from the request's env only.
	if project, err = project.WithServicesEnvironmentResolved(false); err != nil {
		return msg.JobStarted{}, apierr.Invalid("the compose file is invalid: %v", err)
	}
	if err := s.checkExternal(ctx, t, project); err != nil {
		return msg.JobStarted{}, err
	}
	builds, err := s.planBuilds(ctx, c, req.Name, project, dir)
	if err != nil {
		return msg.JobStarted{}, err
	}
	if !s.track() {
		return msg.JobStarted{}, apierr.New(apierr.CodeUnavailable, "the runner is stopping; deploy again in a moment")
	}
	job, err := jobs.Start(ctx, s.js, msg.JobStackUp, c, jobs.Target(req.Name))
	if err != nil {
		s.tracker.Done()
		return msg.JobStarted{}, err
	}
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.UpTimeout)
	stop := context.AfterFunc(s.tracker.Context(), cancel)
	go func() {
		defer s.tracker.Done()
		defer stop()
		defer cancel()
		s.runUp(uctx, job, c, t, req.Name, project, builds, tr.notes, tr.seeds)
	}()
	return msg.JobStarted{Job: job.Info()}, nil
}

// checkExternal makes sure the external networks and volumes a stack names
// exist and are the owner's; the user's own network is made on first use.
func (s *service) checkExternal(ctx context.Context, t policy.Tenant, p *types.Project) error {
	for k, n := range p.Networks {
		if !n.External {
			continue
		}
		if _, short, _ := names.SplitDocker(n.Name); short == policy.DefaultNetwork {
			if _, err := s.networks.EnsureDefault(ctx, t); err != nil {
				return err
			}
			continue
		}
		res, err := s.docker.NetworkInspect(ctx, n.Name, client.NetworkInspectOptions{})
		if cerrdefs.IsNotFound(err) || err == nil && res.Network.Labels[policy.LabelOwner] != t.UserID {
			return apierr.Invalid("external network %q does not exist: create it first", k)
		}
		if err != nil {
			return engine.FromDocker("inspect network "+n.Name, err)
		}
	}
	for k, v := range p.Volumes {
		if !v.External {
			continue
		}
		res, err := s.docker.VolumeInspect(ctx, v.Name, client.VolumeInspectOptions{})
		if cerrdefs.IsNotFound(err) || err == nil && res.Volume.Labels[policy.LabelOwner] != t.UserID {
			return apierr.Invalid("external volume %q does not exist: create it first", k)
		}
		if err != nil {
			return engine.FromDocker("inspect volume "+v.Name, err)
		}
	}
	return nil
}

// planBuilds judges every build: section (Dockerfile, the images it reads,
// the options) and checks that the caller may use every other service's
// image.
func (s *service) planBuilds(ctx context.Context, c identity.Caller, stack string, p *types.Project, dir *projectDir) ([]plannedBuild, error) {
	var out []plannedBuild
	// A service may run the image another one builds (a tag in the
	// caller's namespace, see builtImage and translateBuiltImages): it is
	// there once the builds ran, and the caller's.
	builtHere := map[string]bool{}
	for _, svc := range p.Services {
		if _, ref, err := image.Parse(svc.Image); err == nil && svc.Build != nil {
			builtHere[ref] = true
		}
	}
	for _, name := range p.ServiceNames() {
		svc := p.Services[name]
		if _, ref, err := image.Parse(svc.Image); err == nil && svc.Build == nil && builtHere[ref] {
			continue
		}
		if svc.Build == nil {
			if err := image.MayUse(ctx, s.docker, c, svc.Image); err != nil {
				return nil, serviceErr(name, err)
			}
			if err := build.AllowedRegistry(ctx, s.docker, s.opts.Build.Registries, svc.Image); err != nil {
				return nil, serviceErr(name, err)
			}
			continue
		}
		b := svc.Build
		rel, err := filepath.Rel(dir.path, b.Context)
		if err != nil || !policy.Inside(dir.path, b.Context) {
			return nil, apierr.Policy(policy.RuleUploadPaths, "service %q: build context is outside the uploaded project", name)
		}
		spec := build.Spec{
			Caller: c, Tag: svc.Image, Context: dir.archive.Sub(filepath.ToSlash(rel)),
			Target: b.Target, NoCache: b.NoCache, Network: b.Network,
			Args:   map[string]string{},
			Labels: map[string]string{policy.LabelName: svc.Labels[policy.LabelName], policy.LabelStack: stack},
		}
		for k, v := range b.Labels {
			spec.Labels[k] = v
		}
		if err := reservedLabels("service "+strconv.Quote(name)+" build", b.Labels); err != nil {
			return nil, err
		}
		for k, v := range b.Args {
			if v != nil {
				spec.Args[k] = *v
			}
		}
		if b.DockerfileInline != "" {
			spec.Inline = b.DockerfileInline
		} else if err := dockerfileOf(dir, b, &spec); err != nil {
			return nil, serviceErr(name, err)
		}
		if spec.Secrets, err = buildSecrets(dir, p, b); err != nil {
			return nil, serviceErr(name, err)
		}
		prep, err := s.builder.Prepare(ctx, spec)
		if err != nil {
			return nil, serviceErr(name, err)
		}
		out = append(out, plannedBuild{service: name, prep: prep})
	}
	return out, nil
}

// dockerfileOf points spec at the build's Dockerfile: a path in its context,
// or, when it lies elsewhere in the upload, its content.
func dockerfileOf(dir *projectDir, b *types.BuildConfig, spec *build.Spec) error {
	df := b.Dockerfile
	if df == "" {
		df = "Dockerfile"
	}
	if !filepath.IsAbs(df) {
		df = filepath.Join(b.Context, df)
	}
	if !policy.Inside(dir.path, df) {
		return apierr.Policy(policy.RuleUploadPaths, "the Dockerfile is outside the uploaded project")
	}
	if rel, err := filepath.Rel(b.Context, df); err == nil && policy.Inside(b.Context, df) {
		spec.Dockerfile = filepath.ToSlash(rel)
		return nil
	}
	rel, _ := filepath.Rel(dir.path, df)
	content, ok := dir.archive.File(filepath.ToSlash(rel))
	if !ok {
		return apierr.Invalid("the upload has no Dockerfile at %q", filepath.ToSlash(rel))
	}
	spec.Dockerfile, spec.Inline = ".dockeronline.Dockerfile", string(content)
	return nil
}

func serviceErr(service string, err error) *apierr.Error {
	ae := apierr.From(err)
	out := *ae
	out.Message = "service " + strconv.Quote(service) + ": " + ae.Message
	return &out
}

// runUp builds, admits the quota, brings the stack up with Compose and ends
// the job exactly once. A first up that fails is rolled back: whatever it
// created goes (volumes it made included; volumes that were there before
// are data, and stay).
func (s *service) runUp(ctx context.Context, job *jobs.Job, c identity.Caller, t policy.Tenant, stack string, p *types.Project, builds []plannedBuild, notes []string, seeds []seed) {
	unlock := s.lock(t.UserID, stack)
	defer unlock()
	logErr := func(err error) { s.log.WarnContext(ctx, "stack progress lost", "job", job.ID(), "err", err) }
	pr := newProgress(job, logErr)
	// The translation's notes come first, before anything is made: what
	// the file asked for and what it became ("ports 8000:8000 → …").
	for _, n := range notes {
		pr.send(msg.StackProgress{Status: msg.StatusNote, Text: n})
	}
	fail := func(e *apierr.Error) {
		if err := job.Fail(e); err != nil {
			s.log.ErrorContext(ctx, "could not record a failed up", "job", job.ID(), "stack", stack, "err", err)
		}
	}
	for _, b := range builds {
		pr.send(msg.StackProgress{Resource: "Service " + b.service, Status: "Building", Text: b.prep.Tag})
		_, err := s.builder.Run(ctx, b.prep, func(l msg.BuildLog) {
			l.Service = b.service
			pr.send(msg.StackProgress{Build: &l})
		})
		if err != nil {
			fail(serviceErr(b.service, s.stopped(ctx, err)))
			return
		}
		svc := p.Services[b.service]
		svc.Build, svc.PullPolicy = nil, types.PullPolicyNever
		p.Services[b.service] = svc
		pr.send(msg.StackProgress{Resource: "Service " + b.service, Status: "Built", Text: b.prep.Tag})
	}

	before, err := s.objects(ctx, t.UserID, stack)
	if err != nil {
		fail(apierr.From(err))
		return
	}
	need, newVolumes, err := s.need(ctx, p, before)
	if err != nil {
		fail(apierr.From(err))
		return
	}
	done, err := s.quota.Admit(ctx, t.UserID, need)
	if err != nil {
		fail(apierr.From(err))
		return
	}
	defer done()
	// Volumes standing for bind mounts, on the engine Compose will use.
	if err := s.seed(ctx, t, p, seeds, pr); err != nil {
		if len(before.containers) == 0 {
			s.rollback(c, t, stack, newVolumes)
		}
		fail(apierr.From(s.stopped(ctx, err)))
		return
	}

	cs, err := s.composeFor(c, t, stack, pr)
	if err != nil {
		fail(apierr.New(apierr.CodeInternal, "could not start Compose: %v", err))
		return
	}
	err = cs.Up(ctx, p, api.UpOptions{
		Create: api.CreateOptions{
			RemoveOrphans: true, Recreate: api.RecreateDiverged, RecreateDependencies: api.RecreateDiverged,
			QuietPull: true,
		},
		Start: api.StartOptions{Project: p},
	})
	if err != nil {
		e := upError(s.stopped(ctx, err))
		if f := pr.failures(); len(f) > 0 {
			e.Message += " (failed: " + strings.Join(f, ", ") + ")"
		}
		if len(before.containers) == 0 {
			s.rollback(c, t, stack, newVolumes)
			e.Message += "; everything this deploy created was removed"
		} else {
			e.Message += "; the stack's earlier containers were kept as Compose left them"
		}
		fail(e)
		return
	}
	view, err := s.view(ctx, t.UserID, t.Username, stack)
	if err != nil {
		fail(apierr.From(err))
		return
	}
	if err := job.Done(msg.StackUpResult{Stack: view, Notes: notes}); err != nil {
		s.log.ErrorContext(ctx, "could not record a finished up", "job", job.ID(), "stack", stack, "err", err)
	}
}

// stopped says so when the runner's shutdown or the up's timeout ended err.
func (s *service) stopped(ctx context.Context, err error) error {
	switch {
	case s.tracker.Context().Err() != nil:
		return apierr.New(apierr.CodeUnavailable, "the runner stopped while deploying; deploy again")
	case ctx.Err() != nil:
		return apierr.New(apierr.CodeTimeout, "the deploy took longer than %s", s.opts.UpTimeout)
	}
	return err
}

// upError is a failed Compose up: a refusal of the guard keeps its rule;
// anything else quotes Compose's and Docker's own text.
func upError(err error) *apierr.Error {
	var ae *apierr.Error
	if errors.As(err, &ae) {
		out := *ae
		if out.Docker == "" && err.Error() != ae.Error() {
			out.Docker = engine.DockerText(err)
		}
		return &out
	}
	return apierr.Invalid("Compose could not bring the stack up").WithDocker(engine.DockerText(err))
}

// rollback removes what a failed first up made: containers and networks
// (Compose's down), and the volumes it created.
func (s *service) rollback(c identity.Caller, t policy.Tenant, stack string, newVolumes []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cs, err := s.composeFor(c, t, stack, nil)
	if err == nil {
		err = cs.Down(ctx, names.Docker(t.Username, stack), api.DownOptions{RemoveOrphans: true})
	}
	if err != nil {
		s.log.ErrorContext(ctx, "rollback of a failed up incomplete", "stack", stack, "owner", t.UserID, "err", err)
	}
	for _, v := range newVolumes {
		if _, err := s.docker.VolumeRemove(ctx, v, client.VolumeRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
			s.log.ErrorContext(ctx, "rollback could not remove a volume", "stack", stack, "volume", v, "err", err)
		}
	}
}

// need is what the up adds to the owner's usage: the containers it will
// run (minus those of the stack that exist), their memory and CPUs, and
// the volumes it will create; newVolumes names those volumes.
func (s *service) need(ctx context.Context, p *types.Project, before stackObjects) (msg.Quota, []string, error) {
	var q msg.Quota
	for _, svc := range p.Services {
		n := svc.GetScale()
		mem, cpus, _ := policy.ComposeResources(svc)
		q.Containers += n
		q.MemoryMB += int64(n) * ((mem + s.policy.ComposeTmpfs(svc)) >> 20) // tmpfs is memory
		q.CPUs += float64(n) * float64(cpus) / 1e9
	}
	used := usage(before.containers)
	q.Containers = max(0, q.Containers-used.Containers)
	q.MemoryMB = max(0, q.MemoryMB-used.MemoryMB)
	q.CPUs = max(0, q.CPUs-used.CPUs)
	var newVolumes []string
	for _, v := range p.Volumes {
		if v.External {
			continue
		}
		_, err := s.docker.VolumeInspect(ctx, v.Name, client.VolumeInspectOptions{})
		switch {
		case cerrdefs.IsNotFound(err):
			newVolumes = append(newVolumes, v.Name)
		case err != nil:
			return q, nil, engine.FromDocker("inspect volume "+v.Name, err)
		}
	}
	sort.Strings(newVolumes)
	q.Volumes = len(newVolumes)
	nets, err := s.newNetworks(ctx, p)
	if err != nil {
		return q, nil, err
	}
	q.Networks = nets
	return q, newVolumes, nil
}
