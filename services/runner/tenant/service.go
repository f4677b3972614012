// Package tenant serves the runner's commands about a whole user, for
// admins: purge (cmd.runner.user.purge) removes every Docker object that
// carries the user's owner label — containers, stacks' containers, volumes,
// networks, images — and pause (cmd.runner.user.pause) stops every running
// container of the user. Both work by owner label, so they reach objects of
// every kind the runner creates, and both are safe to repeat.
package tenant

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/engine"
)

// Service acts on all of one user's objects.
type Service interface {
	Purge(ctx context.Context, ref msg.UserRef) (msg.PurgeResult, error)
	Pause(ctx context.Context, ref msg.UserRef) (msg.PauseResult, error)
}

// Sentinel errors.
var (
	ErrNotAdmin  = apierr.New(apierr.CodeForbidden, "only an admin may purge or pause a user")
	ErrBadUserID = apierr.Invalid("user_id must be 1 to 64 letters, digits or '-'")
)

// userID is what a platform user id looks like (a Kratos UUID). An empty
// id must never reach engine.OwnerFilter: it would match every user.
var userID = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// Tuning.
const (
	// StopTimeout is how long a container gets to stop before it is killed.
	StopTimeout = 10 * time.Second
	// purgePasses bounds the sweeps of a purge: a create that was in flight
	// when the user was disabled may land after the first sweep.
	purgePasses = 4
	// parallel bounds concurrent Docker calls of one command.
	parallel = 8
)

type service struct {
	docker *client.Client
	log    *slog.Logger
	forget []Forgetter
}

// Forgetter drops what a feature keeps about a purged user outside Docker's
// labelled objects (the image references, say).
type Forgetter func(ctx context.Context, owner string) error

// New returns the service; forget run once a purge has swept Docker clean.
func New(docker *client.Client, log *slog.Logger, forget ...Forgetter) Service {
	return &service{docker: docker, log: log, forget: forget}
}

func check(ctx context.Context, ref msg.UserRef) error {
	c, ok := identity.From(ctx)
	if !ok || !c.IsAdmin() {
		return ErrNotAdmin
	}
	if !userID.MatchString(ref.UserID) {
		return ErrBadUserID
	}
	return nil
}

// Purge sweeps until a sweep finds nothing, or fails naming what is left.
func (s *service) Purge(ctx context.Context, ref msg.UserRef) (msg.PurgeResult, error) {
	if err := check(ctx, ref); err != nil {
		return msg.PurgeResult{}, err
	}
	var total msg.PurgeResult
	for range purgePasses {
		got, err := s.sweep(ctx, ref.UserID)
		total.Containers += got.Containers
		total.Volumes += got.Volumes
		total.Networks += got.Networks
		total.Images += got.Images
		if err != nil {
			return total, err
		}
		if got == (msg.PurgeResult{}) {
			for _, f := range s.forget {
				if err := f(ctx, ref.UserID); err != nil {
					return total, apierr.New(apierr.CodeUnavailable, "purge of %s is incomplete, try again: %v", ref.UserID, err)
				}
			}
			return total, nil
		}
	}
	return total, apierr.New(apierr.CodeConflict, "objects of user %s keep appearing; try again", ref.UserID)
}

// sweep removes what it finds once; zero counts mean nothing was there.
func (s *service) sweep(ctx context.Context, owner string) (msg.PurgeResult, error) {
	var r msg.PurgeResult
	f := engine.OwnerFilter(owner)

	cs, err := s.docker.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return r, engine.FromDocker("list the user's containers", err)
	}
	ids := make([]string, 0, len(cs.Items))
	for _, c := range cs.Items {
		ids = append(ids, c.ID)
	}
	r.Containers, err = each(ctx, ids, func(ctx context.Context, id string) error {
		_, err := s.docker.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		return ignoreGone(err)
	}, "remove container")
	if err != nil {
		return r, err
	}

	vs, err := s.docker.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err != nil {
		return r, engine.FromDocker("list the user's volumes", err)
	}
	ids = ids[:0]
	for _, v := range vs.Items {
		ids = append(ids, v.Name)
	}
	r.Volumes, err = each(ctx, ids, func(ctx context.Context, name string) error {
		_, err := s.docker.VolumeRemove(ctx, name, client.VolumeRemoveOptions{Force: true})
		return ignoreGone(err)
	}, "remove volume")
	if err != nil {
		return r, err
	}

	ns, err := s.docker.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return r, engine.FromDocker("list the user's networks", err)
	}
	ids = ids[:0]
	for _, n := range ns.Items {
		ids = append(ids, n.ID)
	}
	r.Networks, err = each(ctx, ids, s.removeNetwork, "remove network")
	if err != nil {
		return r, err
	}

	is, err := s.docker.ImageList(ctx, client.ImageListOptions{All: true, Filters: f})
	if err != nil {
		return r, engine.FromDocker("list the user's images", err)
	}
	ids = ids[:0]
	for _, im := range is.Items {
		ids = append(ids, im.ID)
	}
	r.Images, err = each(ctx, ids, func(ctx context.Context, id string) error {
		_, err := s.docker.ImageRemove(ctx, id, client.ImageRemoveOptions{Force: true, PruneChildren: true})
		return ignoreGone(err)
	}, "remove image")
	return r, err
}

// removeNetwork disconnects whatever is still attached (another user's
// container an admin connected, say) before removing the network.
func (s *service) removeNetwork(ctx context.Context, id string) error {
	_, err := s.docker.NetworkRemove(ctx, id, client.NetworkRemoveOptions{})
	if err == nil || cerrdefs.IsNotFound(err) {
		return nil
	}
	in, ierr := s.docker.NetworkInspect(ctx, id, client.NetworkInspectOptions{})
	if ierr != nil {
		return ignoreGone(ierr)
	}
	for cid := range in.Network.Containers {
		_, _ = s.docker.NetworkDisconnect(ctx, id, client.NetworkDisconnectOptions{Container: cid, Force: true})
	}
	_, err = s.docker.NetworkRemove(ctx, id, client.NetworkRemoveOptions{})
	return ignoreGone(err)
}

// Pause stops every running container of the user, several at a time.
func (s *service) Pause(ctx context.Context, ref msg.UserRef) (msg.PauseResult, error) {
	if err := check(ctx, ref); err != nil {
		return msg.PauseResult{}, err
	}
	f := engine.OwnerFilter(ref.UserID).Add("status", "running").Add("status", "restarting")
	cs, err := s.docker.ContainerList(ctx, client.ContainerListOptions{Filters: f})
	if err != nil {
		return msg.PauseResult{}, engine.FromDocker("list the user's containers", err)
	}
	ids := make([]string, 0, len(cs.Items))
	for _, c := range cs.Items {
		ids = append(ids, c.ID)
	}
	timeout := int(StopTimeout / time.Second)
	n, err := each(ctx, ids, func(ctx context.Context, id string) error {
		_, err := s.docker.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: &timeout})
		if cerrdefs.IsNotModified(err) {
			return nil
		}
		return ignoreGone(err)
	}, "stop container")
	return msg.PauseResult{Stopped: n}, err
}

func ignoreGone(err error) error {
	if err == nil || cerrdefs.IsNotFound(err) {
		return nil
	}
	return err
}

// each runs fn on every id, at most parallel at once, and returns how many
// succeeded and the first failure (as a platform error quoting Docker).
func each(ctx context.Context, ids []string, fn func(context.Context, string) error, what string) (int, error) {
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		done  int
		first error
		sem   = make(chan struct{}, parallel)
	)
	for _, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := fn(ctx, id)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				done++
			} else if first == nil {
				first = engine.FromDocker(fmt.Sprintf("%s %.12s", what, id), err)
			}
		}()
	}
	wg.Wait()
	if first != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return done, apierr.New(apierr.CodeTimeout, "Docker did not finish in time; retry to finish (%d done)", done)
	}
	return done, first
}
