package policy

import (
	"crypto/rand"
	"encoding/hex"
	"path"
	"sort"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/names"
)

// AnonPrefix starts the name the platform gives an anonymous volume
// ("<user>--anon-<16 hex>"). Docker would make it without the owner's
// labels, outside the volume quota and out of the user's sight; named, it
// is one of the user's volumes like any other: labelled, counted, listed
// and removable.
const AnonPrefix = "anon-"

// AnonVolume is a fresh Docker name for an anonymous volume of t.
func AnonVolume(t Tenant) (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", apierr.New(apierr.CodeInternal, "could not name a volume: %v", err)
	}
	return names.Docker(t.Username, AnonPrefix+hex.EncodeToString(b)), nil
}

// nameAnonymous names every anonymous volume mount (type volume, no
// source) in ms, in place, and returns the Docker names it gave.
func nameAnonymous(t Tenant, ms []mount.Mount) ([]string, error) {
	var made []string
	for i, m := range ms {
		if m.Type != mount.TypeVolume || m.Source != "" {
			continue
		}
		n, err := AnonVolume(t)
		if err != nil {
			return nil, err
		}
		ms[i].Source = n
		made = append(made, n)
	}
	return made, nil
}

// Anonymous names, in h, every anonymous volume mount and mounts a new
// named volume at every VOLUME path of the image (imageVolumes) that no
// mount covers, so Docker makes no anonymous volume at all. It returns the
// Docker names it gave; the caller creates them with the owner's labels.
func Anonymous(t Tenant, h *container.HostConfig, imageVolumes []string) ([]string, error) {
	made, err := nameAnonymous(t, h.Mounts)
	if err != nil {
		return nil, err
	}
	taken := map[string]bool{}
	for _, m := range h.Mounts {
		taken[path.Clean(m.Target)] = true
	}
	for target := range h.Tmpfs {
		taken[path.Clean(target)] = true
	}
	for _, b := range h.Binds { // refused for users; a target all the same
		if parts := strings.Split(b, ":"); len(parts) > 1 {
			taken[path.Clean(parts[1])] = true
		}
	}
	sort.Strings(imageVolumes)
	for _, target := range imageVolumes {
		c := path.Clean("/" + target)
		if taken[c] {
			continue
		}
		taken[c] = true
		n, err := AnonVolume(t)
		if err != nil {
			return nil, err
		}
		h.Mounts = append(h.Mounts, mount.Mount{Type: mount.TypeVolume, Source: n, Target: c})
		made = append(made, n)
	}
	return made, nil
}

// AddImageVolumes is Anonymous for a plan: the volumes it names join the
// plan's volumes, to be created with the owner's labels and counted.
func (p *Plan) AddImageVolumes(t Tenant, imageVolumes []string) error {
	made, err := Anonymous(t, p.Host, imageVolumes)
	if err != nil {
		return err
	}
	p.Volumes = append(p.Volumes, made...)
	return nil
}
