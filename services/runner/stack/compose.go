package stack

import (
	"context"
	"io"
	"strings"
	"sync"

	"github.com/docker/cli/cli/command"
	"github.com/docker/cli/cli/flags"
	"github.com/docker/compose/v5/pkg/api"
	"github.com/docker/compose/v5/pkg/compose"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/jobs"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/runner/policy"
)

// composeFor is the official Compose SDK (github.com/docker/compose/v5)
// acting for tenant t on stack: its Docker client is the guard, so all it
// does passes the tenancy rules and the policy. events, if set, receives
// Compose's progress. The SDK talks to the Engine API directly (no docker
// binary, no buildx: the platform builds, see Up).
func (s *service) composeFor(c identity.Caller, t policy.Tenant, stack string, events api.EventProcessor) (api.Compose, error) {
	g := &guard{APIClient: s.docker, docker: s.docker, policy: s.policy, caller: c, tenant: t,
		project: names.Docker(t.Username, stack), stack: stack, registries: s.opts.Build.Registries}
	cli, err := command.NewDockerCli(command.WithCombinedStreams(io.Discard),
		command.WithInputStream(io.NopCloser(strings.NewReader(""))))
	if err != nil {
		return nil, err
	}
	// An empty configuration of its own: Compose must not pull with the
	// runner host's registry credentials (~/.docker/config.json).
	fo := flags.NewClientOptions()
	fo.ConfigDir = s.configDir
	if err := cli.Initialize(fo, command.WithInitializeClient(func(*command.DockerCli) (client.APIClient, error) {
		return g, nil
	})); err != nil {
		return nil, err
	}
	opts := []compose.Option{
		compose.WithPrompt(compose.AlwaysOkPrompt()),
		compose.WithMaxConcurrency(s.opts.Parallel),
		compose.WithStreams(io.Discard, io.Discard, strings.NewReader("")),
	}
	if events != nil {
		opts = append(opts, compose.WithEventProcessor(events))
	}
	return compose.NewComposeService(cli, opts...)
}

// progress turns Compose's events into job progress, a few per second per
// resource (pulls report many), every change of status included.
type progress struct {
	job    *jobs.Job
	mu     sync.Mutex
	th     *jobs.Throttle
	log    func(error)
	failed []string // resources Compose reported in error, to name them
}

func newProgress(job *jobs.Job, log func(error)) *progress {
	return &progress{job: job, th: jobs.NewThrottle(jobs.DefaultEvery), log: log}
}

func (p *progress) Start(context.Context, string) {}
func (p *progress) Done(string, bool)             {}

func (p *progress) On(events ...api.Resource) {
	for _, e := range events {
		p.mu.Lock()
		ok := p.th.Allow(e.ID, e.Text+"|"+e.StatusText())
		if e.Status == api.Error && len(p.failed) < 5 {
			p.failed = append(p.failed, e.ID)
		}
		p.mu.Unlock()
		if !ok {
			continue
		}
		p.send(msg.StackProgress{Resource: e.ID, Status: e.Text, Text: e.Details})
	}
}

// failures names the resources that failed ("Image app:1", "Container
// alice--shop-web").
func (p *progress) failures() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.failed...)
}

func (p *progress) send(v msg.StackProgress) {
	if err := p.job.Progress(v); err != nil && p.log != nil {
		p.log(err)
	}
}
