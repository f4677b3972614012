package image

import (
	"context"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/policy"
)

// RuleNamespace is the policy rule that keeps users out of each other's
// image namespace.
const RuleNamespace = "image-namespace"

// Parse normalises an image reference the way Docker does: "busybox" is
// "busybox:latest", a tag next to a digest gives way to the digest. The
// result is the familiar form Docker lists ("127.0.0.1:5000/app:1",
// "alice/app:1"), the one key of a reference everywhere in this package.
// A malformed reference is invalid, quoting the parser Docker itself uses.
func Parse(s string) (reference.Named, string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, "", apierr.Invalid("image is required")
	}
	named, err := reference.ParseDockerRef(s)
	if err != nil {
		return nil, "", apierr.Invalid("%q is not a valid image reference", s).WithDocker(err.Error())
	}
	return named, reference.FamiliarString(named), nil
}

// Namespace is the platform namespace ref falls in: builds tag a user's
// images "<user>/<name>:<tag>", which Docker reads as the Docker Hub
// repository "docker.io/<user>/<name>". So the first path component of a
// Docker Hub reference with a namespace is a potential username; official
// images ("busybox" = "docker.io/library/busybox") and other registries
// have none.
func Namespace(ref reference.Named) string {
	if reference.Domain(ref) != "docker.io" {
		return ""
	}
	ns, _, ok := strings.Cut(reference.Path(ref), "/")
	if !ok || ns == "library" {
		return ""
	}
	return ns
}

// MayUse checks that c may use the image ref (run a container from it, or
// pull it): it is the check the container create path needs before it
// creates or auto-pulls. An image built by another user (it carries their
// owner label) is "not found", exactly like an image that does not exist;
// an image absent from the host that would be pulled into another
// platform user's namespace is refused (rule image-namespace).
func MayUse(ctx context.Context, docker *client.Client, c identity.Caller, ref string) error {
	named, familiar, err := Parse(ref)
	if err != nil {
		return err
	}
	in, err := docker.ImageInspect(ctx, familiar)
	switch {
	case err == nil:
		if owner := builtBy(inspectLabels(in)); owner != "" && owner != c.UserID && !c.IsAdmin() {
			return apierr.NotFound("image %q not found", familiar)
		}
		return nil
	case cerrdefs.IsNotFound(err):
		return checkNamespace(ctx, docker, c, named, familiar)
	default:
		return engine.FromDocker("inspect image "+familiar, err)
	}
}

// checkNamespace refuses to put an image into the namespace of another
// platform user: a pull of "alice/app:1" by bob would otherwise replace
// the image alice built under that name with whatever Docker Hub serves
// for it. It applies to admins too: nobody overwrites a user's builds.
func checkNamespace(ctx context.Context, docker *client.Client, c identity.Caller, named reference.Named, familiar string) error {
	ns := Namespace(named)
	if ns == "" || ns == c.Username {
		return nil
	}
	owner, err := namespaceOwner(ctx, docker, ns)
	if err != nil {
		return err
	}
	if owner != "" && owner != c.UserID {
		return apierr.Policy(RuleNamespace, "%q is in the image namespace of platform user %q; only they can put images there", familiar, ns)
	}
	return nil
}

// namespaceOwner is the user id of the platform user named ns, as far as
// the engine knows: the owner label of any image or network carrying the
// username label ns (every user who ran or built anything has one). The
// runner holds no user table; a user unknown to the engine has nothing in
// their namespace to protect yet.
func namespaceOwner(ctx context.Context, docker *client.Client, ns string) (string, error) {
	f := make(client.Filters).Add("label", policy.LabelUsername+"="+ns)
	imgs, err := docker.ImageList(ctx, client.ImageListOptions{Filters: f})
	if err != nil {
		return "", engine.FromDocker("list images", err)
	}
	for _, im := range imgs.Items {
		if o := im.Labels[policy.LabelOwner]; o != "" {
			return o, nil
		}
	}
	nets, err := docker.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return "", engine.FromDocker("list networks", err)
	}
	for _, n := range nets.Items {
		if o := n.Labels[policy.LabelOwner]; o != "" {
			return o, nil
		}
	}
	return "", nil
}

// builtBy is the owner (user id) an image built on the platform carries in
// its labels; "" for pulled and host images.
func builtBy(labels map[string]string) string { return labels[policy.LabelOwner] }

// inspectLabels are the labels of an inspected image.
func inspectLabels(in client.ImageInspectResult) map[string]string {
	if in.Config == nil {
		return nil
	}
	return in.Config.Labels
}
