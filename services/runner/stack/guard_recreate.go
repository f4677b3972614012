package stack

import (
	"context"
	"strings"

	"github.com/moby/moby/client"
)

// Compose recreates a container whose configuration changed (a project
// file copied in changed, say) under a temporary name, "<first 12 hex
// digits of the old container's id>_<name>", then removes the old one and
// renames the new one to <name>.

// containerName is the platform name of a container Compose creates: the
// user's name of dockerName, or of the name a recreate's temporary name
// stands for, when it is built on one of the owner's containers.
func (g *guard) containerName(ctx context.Context, dockerName string) (string, error) {
	if id, rest, ok := strings.Cut(dockerName, "_"); ok && len(id) == 12 && isHex(id) {
		if err := g.ownedContainer(ctx, id); err != nil {
			return "", err
		}
		return g.userName("container", rest)
	}
	return g.userName("container", dockerName)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ContainerRename renames only the owner's containers, within their
// namespace (the end of a recreate).
func (g *guard) ContainerRename(ctx context.Context, id string, o client.ContainerRenameOptions) (client.ContainerRenameResult, error) {
	if err := g.ownedContainer(ctx, id); err != nil {
		return client.ContainerRenameResult{}, err
	}
	if _, err := g.userName("container", o.NewName); err != nil {
		return client.ContainerRenameResult{}, err
	}
	return g.APIClient.ContainerRename(ctx, id, o)
}
