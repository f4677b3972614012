package quota

import (
	"context"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/access"
	"github.com/dockeronline/platform/services/runner/engine"
)

// Service shows usage and lets admins change quotas.
type Service interface {
	Usage(ctx context.Context, req msg.UsageRequest) (msg.Usage, error)
	UsageAll(ctx context.Context, req msg.UsageRequest) (msg.UsageList, error)
	Set(ctx context.Context, req msg.QuotaSetRequest) (msg.Usage, error)
}

type service struct{ gate *Gate }

// NewService returns the quota service.
func NewService(g *Gate) Service { return &service{gate: g} }

func (s *service) Usage(ctx context.Context, req msg.UsageRequest) (msg.Usage, error) {
	c, err := access.Caller(ctx)
	if err != nil {
		return msg.Usage{}, err
	}
	owner, err := access.OwnerOf(c, req.UserID)
	if err != nil {
		return msg.Usage{}, err
	}
	return s.gate.Usage(ctx, owner)
}

// UsageAll lists the usage of every user who owns something (admins).
func (s *service) UsageAll(ctx context.Context, _ msg.UsageRequest) (msg.UsageList, error) {
	c, err := access.Caller(ctx)
	if err != nil {
		return msg.UsageList{}, err
	}
	if !c.IsAdmin() {
		return msg.UsageList{}, access.ErrNotAdmin
	}
	owners := map[string]bool{}
	cs, err := engine.ListContainers(ctx, s.gate.docker, "")
	if err != nil {
		return msg.UsageList{}, err
	}
	for _, x := range cs {
		owners[engine.OwnerOf(x.Labels)] = true
	}
	out := msg.UsageList{Users: []msg.Usage{}}
	for o := range owners {
		u, err := s.gate.Usage(ctx, o)
		if err != nil {
			return msg.UsageList{}, err
		}
		out.Users = append(out.Users, u)
	}
	return out, nil
}

func (s *service) Set(ctx context.Context, req msg.QuotaSetRequest) (msg.Usage, error) {
	c, err := access.Caller(ctx)
	if err != nil {
		return msg.Usage{}, err
	}
	if !c.IsAdmin() {
		return msg.Usage{}, apierr.New(apierr.CodeForbidden, "only admins may change quotas")
	}
	if req.UserID == "" {
		return msg.Usage{}, apierr.Invalid("user_id is required")
	}
	if neg(req) {
		return msg.Usage{}, apierr.Invalid("quota values must not be negative")
	}
	if req.Runtime != nil && *req.Runtime != "" {
		if err := s.gate.checkRuntime(ctx, *req.Runtime); err != nil {
			return msg.Usage{}, err
		}
	}
	if err := s.gate.store.Set(ctx, req); err != nil {
		return msg.Usage{}, apierr.New(apierr.CodeUnavailable, "quota store unavailable")
	}
	return s.gate.Usage(ctx, req.UserID)
}

func neg(r msg.QuotaSetRequest) bool {
	return r.Containers != nil && *r.Containers < 0 || r.MemoryMB != nil && *r.MemoryMB < 0 ||
		r.CPUs != nil && *r.CPUs < 0 || r.Volumes != nil && *r.Volumes < 0 || r.Networks != nil && *r.Networks < 0
}
