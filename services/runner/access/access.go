// Package access answers, for every runner command, who is asking and whose
// objects the command may touch. Every service of the runner goes through
// it, so the tenancy rule is written once: a user acts on their own objects;
// an admin may name another owner.
package access

import (
	"context"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/policy"
)

// Sentinel errors.
var (
	ErrNoCaller = apierr.New(apierr.CodeUnauthenticated, "no authenticated caller on the command")
	ErrNotAdmin = apierr.New(apierr.CodeForbidden, "only admins may act on another user's objects")
)

// Caller is the command's caller, with its username re-checked: it names
// Docker objects, so it is validated where it is used.
func Caller(ctx context.Context) (identity.Caller, error) {
	c, err := identity.Require(ctx)
	if err != nil {
		return c, ErrNoCaller
	}
	if err := names.ValidateUsername(c.Username); err != nil && !c.IsAdmin() {
		return c, apierr.Invalid("caller username: %v", err)
	}
	return c, nil
}

// OwnerOf is whose objects a reference means: the caller's own, or for an
// admin, the owner the reference names.
func OwnerOf(c identity.Caller, owner string) (string, error) {
	if owner == "" || owner == c.UserID {
		return c.UserID, nil
	}
	if !c.IsAdmin() {
		return "", ErrNotAdmin
	}
	return owner, nil
}

// ListOwner is whose objects a list shows: everyone's ("") for an admin
// asking for all, else the caller's.
func ListOwner(c identity.Caller, all bool) string {
	if all && c.IsAdmin() {
		return ""
	}
	return c.UserID
}

// Tenant is the caller as the owner of new objects.
func Tenant(c identity.Caller) policy.Tenant {
	return policy.Tenant{UserID: c.UserID, Username: c.Username}
}

// Container resolves the container a request names, by owner first:
// another user's container is "not found" whatever is guessed; only an
// admin may name another owner.
func Container(ctx context.Context, docker *client.Client, name, owner string) (identity.Caller, container.Summary, error) {
	c, err := Caller(ctx)
	if err != nil {
		return c, container.Summary{}, err
	}
	o, err := OwnerOf(c, owner)
	if err != nil {
		return c, container.Summary{}, err
	}
	if err := names.ValidateObject("container", name); err != nil {
		return c, container.Summary{}, apierr.NotFound("container %q not found", name)
	}
	sum, err := engine.FindContainer(ctx, docker, o, name)
	return c, sum, err
}
