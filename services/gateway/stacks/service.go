// Package stacks is the gateway's Compose stack API. The runner parses,
// judges and deploys (see services/runner/stack); the gateway
// authenticates, takes the compose file (and, for build: and extends:, the
// project as a tar, streamed into the object store like a build context),
// fills in the web links, and delegates per-service logs and restarts to
// the container API, which knows stack containers by their platform names.
package stacks

import (
	"context"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/gateway/builds"
)

// UpRequest is an up as the HTTP transport decoded it: the command and the
// uploaded project, still streaming (nil when there is none).
type UpRequest struct {
	Stack   msg.StackUpRequest
	Context io.Reader
}

// VariablesRequest is a variables listing as the HTTP transport decoded
// it: the compose file and the uploaded project (nil when there is none),
// whose .env gives values.
type VariablesRequest struct {
	Vars    msg.StackVariablesRequest
	Context io.Reader
}

// Service is the stack API.
type Service interface {
	Up(ctx context.Context, req UpRequest) (msg.JobStarted, error)
	List(ctx context.Context, req msg.StackListRequest) (msg.StackList, error)
	Get(ctx context.Context, ref msg.StackRef) (msg.Stack, error)
	Down(ctx context.Context, ref msg.StackRef) (msg.StackDownResult, error)
	Restart(ctx context.Context, ref msg.StackRef) (msg.Stack, error)
	// Variables lists the variables a compose file uses (the stack form's
	// inputs), with the values the project's .env gives.
	Variables(ctx context.Context, req VariablesRequest) (msg.StackVariables, error)
}

// Links makes web links the way the proxy serves them: the lowest TCP port
// of a running container answers at "<name>--<user>.<domain>", every port
// also at "<name>-<port>--<user>.<domain>" when there are several.
type Links struct {
	Domain      string // APPS_DOMAIN
	URLTemplate string // APPS_URL_TEMPLATE, "{host}" replaced
}

func (l Links) of(c msg.StackContainer, username string) []string {
	if l.Domain == "" || c.State != "running" || c.Name == "" || username == "" {
		return nil
	}
	var ports []int
	seen := map[int]bool{}
	for _, p := range c.Ports {
		if (p.Protocol == "" || p.Protocol == "tcp") && !seen[p.Container] {
			seen[p.Container] = true
			ports = append(ports, p.Container)
		}
	}
	if len(ports) == 0 {
		return nil
	}
	sort.Ints(ports)
	url := func(label string) string {
		return strings.ReplaceAll(l.URLTemplate, "{host}", label+"."+l.Domain)
	}
	out := []string{url(c.Name + names.Separator + username)}
	if len(ports) > 1 {
		for _, p := range ports {
			out = append(out, url(c.Name+"-"+strconv.Itoa(p)+names.Separator+username))
		}
	}
	return out
}

func (l Links) fill(st *msg.Stack) {
	for i := range st.Services {
		for j := range st.Services[i].Containers {
			c := &st.Services[i].Containers[j]
			c.Links = l.of(*c, st.Username)
		}
	}
}

type service struct {
	nc      *nats.Conn
	uploads *builds.Uploads
	links   Links
}

// New returns the service: projects go to uploads, commands on nc.
func New(nc *nats.Conn, uploads *builds.Uploads, links Links) Service {
	return &service{nc: nc, uploads: uploads, links: links}
}

func runner[Resp any](ctx context.Context, nc *nats.Conn, op subjects.RunnerOp, req any) (Resp, error) {
	return bus.Request[Resp](ctx, nc, subjects.RunnerRequestSubject(op), req)
}

func (s *service) Up(ctx context.Context, req UpRequest) (msg.JobStarted, error) {
	c, err := identity.Require(ctx)
	if err != nil {
		return msg.JobStarted{}, apierr.New(apierr.CodeUnauthenticated, "sign in to deploy")
	}
	if err := names.ValidateObject("stack", req.Stack.Name); err != nil {
		return msg.JobStarted{}, apierr.Invalid("%v", err)
	}
	if strings.TrimSpace(req.Stack.Compose) == "" {
		return msg.JobStarted{}, apierr.Invalid("compose is required: the compose file's YAML")
	}
	if req.Stack.Context != "" {
		return msg.JobStarted{}, apierr.Invalid("context is not a name: upload the project as the \"context\" part of a multipart form")
	}
	if req.Context != nil {
		name, err := s.uploads.Put(ctx, c.UserID, req.Context)
		if err != nil {
			return msg.JobStarted{}, err
		}
		req.Stack.Context = name
	}
	started, err := runner[msg.JobStarted](ctx, s.nc, subjects.StackUp, req.Stack)
	if err != nil {
		if req.Stack.Context != "" {
			s.uploads.Delete(ctx, req.Stack.Context)
		}
		return started, err
	}
	started.Status = "/api/v1/jobs/" + started.Job.ID
	started.Events = started.Status + "/events"
	return started, nil
}

func (s *service) List(ctx context.Context, req msg.StackListRequest) (msg.StackList, error) {
	l, err := runner[msg.StackList](ctx, s.nc, subjects.StackList, req)
	for i := range l.Stacks {
		s.links.fill(&l.Stacks[i])
	}
	return l, err
}

func (s *service) Get(ctx context.Context, ref msg.StackRef) (msg.Stack, error) {
	st, err := runner[msg.Stack](ctx, s.nc, subjects.StackGet, ref)
	s.links.fill(&st)
	return st, err
}

func (s *service) Down(ctx context.Context, ref msg.StackRef) (msg.StackDownResult, error) {
	return runner[msg.StackDownResult](ctx, s.nc, subjects.StackDown, ref)
}

// Restart restarts every container of the stack, service by service, with
// the container API (stack containers are the owner's containers, by
// their platform names), then shows the stack.
func (s *service) Restart(ctx context.Context, ref msg.StackRef) (msg.Stack, error) {
	st, err := s.Get(ctx, ref)
	if err != nil {
		return st, err
	}
	for _, svc := range st.Services {
		for _, c := range svc.Containers {
			if _, err := runner[msg.Container](ctx, s.nc, subjects.ContainerRestart, msg.ContainerRef{Name: c.Name, Owner: ref.Owner}); err != nil {
				return st, err
			}
		}
	}
	return s.Get(ctx, ref)
}

func (s *service) Variables(ctx context.Context, req VariablesRequest) (msg.StackVariables, error) {
	c, err := identity.Require(ctx)
	if err != nil {
		return msg.StackVariables{}, apierr.New(apierr.CodeUnauthenticated, "sign in to read a compose file's variables")
	}
	if strings.TrimSpace(req.Vars.Compose) == "" {
		return msg.StackVariables{}, apierr.Invalid("compose is required: the compose file's YAML")
	}
	if req.Vars.Context != "" {
		return msg.StackVariables{}, apierr.Invalid("context is not a name: upload the project as the \"context\" part of a multipart form")
	}
	if req.Context != nil {
		name, err := s.uploads.Put(ctx, c.UserID, req.Context)
		if err != nil {
			return msg.StackVariables{}, err
		}
		req.Vars.Context = name
	}
	v, err := runner[msg.StackVariables](ctx, s.nc, subjects.StackVariables, req.Vars)
	if err != nil && req.Vars.Context != "" {
		s.uploads.Delete(ctx, req.Vars.Context) // the runner may not have read it
	}
	return v, err
}
