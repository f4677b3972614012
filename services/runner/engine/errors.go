// Package engine is the runner's tenancy-aware use of the Docker engine:
// lookups scoped to an owner, the user's network and volumes, Docker errors
// turned into platform errors that quote Docker, and views of containers.
package engine

import (
	"context"
	"errors"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
)

// DockerText is Docker's own message, without the client's prefix.
func DockerText(err error) string {
	return strings.TrimPrefix(err.Error(), "Error response from daemon: ")
}

// FromDocker turns an engine error into a platform error that quotes
// Docker; what says what the platform was doing ("create container web").
func FromDocker(what string, err error) error {
	if err == nil {
		return nil
	}
	var ae *apierr.Error
	if errors.As(err, &ae) {
		return ae
	}
	text := DockerText(err)
	var e *apierr.Error
	switch {
	case strings.Contains(text, "available, non-overlapping") && strings.Contains(text, "address pool"):
		// Docker calls this "not found"; it is the host being full.
		e = apierr.New(apierr.CodeUnavailable, "the Docker host has no address space left for another network (an admin can widen Docker's default-address-pools), could not %s", what)
	case errors.Is(err, context.DeadlineExceeded):
		e = apierr.New(apierr.CodeTimeout, "Docker did not answer in time to %s", what)
	case client.IsErrConnectionFailed(err):
		e = apierr.New(apierr.CodeUnavailable, "the Docker engine is not reachable, could not %s", what)
	case cerrdefs.IsNotFound(err):
		e = apierr.NotFound("could not %s: not found", what)
	case cerrdefs.IsConflict(err), cerrdefs.IsAlreadyExists(err):
		e = apierr.Conflict("could not %s: conflict", what)
	case cerrdefs.IsInvalidArgument(err):
		e = apierr.Invalid("Docker refused to %s", what)
	case cerrdefs.IsUnavailable(err):
		e = apierr.New(apierr.CodeUnavailable, "Docker is unavailable, could not %s", what)
	default:
		e = apierr.New(apierr.CodeInternal, "Docker failed to %s", what)
	}
	return e.WithDocker(text)
}
