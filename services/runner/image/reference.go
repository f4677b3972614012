package image

import (
	"strings"

	"github.com/distribution/reference"

	"github.com/dockeronline/platform/pkg/apierr"
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

// Namespace is the platform namespace ref falls in (see namespaces.go for
// who owns one): builds tag a user's
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
