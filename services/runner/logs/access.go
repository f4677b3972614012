package logs

import (
	"context"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/runner/engine"
)

// target resolves the container a request names, by owner first: another
// user's container is "not found" whatever is guessed; only an admin may
// name another owner.
func target(ctx context.Context, docker *client.Client, name, owner string) (identity.Caller, container.Summary, error) {
	c, err := identity.Require(ctx)
	if err != nil {
		return c, container.Summary{}, ErrNoCaller
	}
	if owner == "" {
		owner = c.UserID
	}
	if owner != c.UserID && !c.IsAdmin() {
		return c, container.Summary{}, ErrOwnerIsAdmin
	}
	if err := names.ValidateObject("container", name); err != nil {
		return c, container.Summary{}, apierr.NotFound("container %q not found", name)
	}
	sum, err := engine.FindContainer(ctx, docker, owner, name)
	return c, sum, err
}
