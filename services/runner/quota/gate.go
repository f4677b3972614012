package quota

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
)

// RuleQuota names quota refusals.
const RuleQuota = "quota"

// Gate admits creates against quotas.
type Gate struct {
	store  *Store
	docker *client.Client
}

// NewGate returns a gate.
func NewGate(store *Store, docker *client.Client) *Gate { return &Gate{store: store, docker: docker} }

// Admit takes owner's quota lock, counts usage and checks that need fits.
// On success the caller creates its objects and then calls done, which
// releases the lock; until then no other create of owner can be admitted.
func (g *Gate) Admit(ctx context.Context, owner string, need msg.Quota) (done func(), err error) {
	tx, err := g.store.db.BeginTx(ctx, &sql.TxOptions{})
	if err != nil {
		return nil, apierr.New(apierr.CodeUnavailable, "quota store unavailable")
	}
	release := func() { _ = tx.Rollback() }
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('quota:' || $1))`, owner); err != nil {
		release()
		return nil, apierr.New(apierr.CodeUnavailable, "quota store unavailable")
	}
	limit, err := g.store.get(ctx, tx, owner)
	if err != nil {
		release()
		return nil, apierr.New(apierr.CodeUnavailable, "quota store unavailable")
	}
	used, err := Used(ctx, g.docker, owner)
	if err != nil {
		release()
		return nil, err
	}
	if err := fits(limit, used, need); err != nil {
		release()
		return nil, err
	}
	return release, nil
}

func fits(limit, used, need msg.Quota) error {
	over := func(what string, used, need, limit any) error {
		e := apierr.New(apierr.CodeQuota, "%s quota exceeded: %v in use + %v requested > %v allowed", what, used, need, limit)
		e.Rule = RuleQuota
		return e
	}
	switch {
	case need.Containers > 0 && used.Containers+need.Containers > limit.Containers:
		return over("container", used.Containers, need.Containers, limit.Containers)
	case need.MemoryMB > 0 && used.MemoryMB+need.MemoryMB > limit.MemoryMB:
		return over("memory (MB)", used.MemoryMB, need.MemoryMB, limit.MemoryMB)
	case need.CPUs > 0 && used.CPUs+need.CPUs > limit.CPUs+1e-9:
		return over("CPU", fmt.Sprintf("%.2f", used.CPUs), fmt.Sprintf("%.2f", need.CPUs), fmt.Sprintf("%.2f", limit.CPUs))
	case need.Volumes > 0 && used.Volumes+need.Volumes > limit.Volumes:
		return over("volume", used.Volumes, need.Volumes, limit.Volumes)
	case need.Networks > 0 && used.Networks+need.Networks > limit.Networks:
		return over("network", used.Networks, need.Networks, limit.Networks)
	}
	return nil
}

// Usage is owner's quota and use.
func (g *Gate) Usage(ctx context.Context, owner string) (msg.Usage, error) {
	limit, err := g.store.Get(ctx, owner)
	if err != nil {
		return msg.Usage{}, apierr.New(apierr.CodeUnavailable, "quota store unavailable")
	}
	used, err := Used(ctx, g.docker, owner)
	if err != nil {
		return msg.Usage{}, err
	}
	return msg.Usage{UserID: owner, Quota: limit, Used: used}, nil
}
