package stack

import (
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/distribution/reference"

	"github.com/dockeronline/platform/services/runner/build"
	"github.com/dockeronline/platform/services/runner/image"
)

// translateBuiltImages honours image: beside build:. Compose reads
// "build: backend" with "image: example/backend" as "build it and tag it
// example/backend", and other services naming example/backend run that
// build. Here a build is tagged in the user's namespace only (nobody tags
// over a shared image), so the tag moves there: "<user>/<last path part of
// the image>:<its tag, or latest>" ("example/backend" → "alice/backend:
// latest"), or "<user>/<service's container name>:<tag>" when two builds
// would take the same name. Services that name the same image without
// building it get the built tag, and never pull it (their own namespace on
// Docker Hub is another account's). An image: already in the user's
// namespace is kept (its users still never pull it), as is an invalid one
// (normalize quotes its error).
func translateBuiltImages(tr *translation) error {
	user := tr.tenant.Username
	svcs := newNamer(tr.stack, keysOf(tr.project.Services))
	built := map[string]string{} // source image (familiar form) → tag
	taken := map[string]string{} // tag → source image
	for _, key := range keysOf(tr.project.Services) {
		s := tr.project.Services[key]
		if s.Build == nil || s.Image == "" {
			continue
		}
		named, src, err := image.Parse(s.Image)
		if err != nil {
			continue
		}
		if image.Namespace(named) == user {
			built[src], taken[src] = src, src // kept; its users follow below
			continue
		}
		tag, ok := built[src]
		if !ok {
			last := reference.Path(named)
			last = last[strings.LastIndexByte(last, '/')+1:]
			tag = build.Tag(user, last, tagOf(named))
			if other, dup := taken[tag]; dup && other != src {
				name, _ := svcs.name(key)
				tag = build.Tag(user, name, tagOf(named))
			}
			built[src], taken[tag] = tag, src
		}
		tr.note("%s: image %s is built as %s (a build is tagged in your namespace)", key, s.Image, tag)
		s.Image = tag
		tr.project.Services[key] = s
	}
	if len(built) == 0 {
		return nil
	}
	for _, key := range keysOf(tr.project.Services) {
		s := tr.project.Services[key]
		if s.Build != nil || s.Image == "" {
			continue
		}
		_, src, err := image.Parse(s.Image)
		if err != nil {
			continue
		}
		tag, ok := built[src]
		if !ok {
			continue
		}
		if tag != src {
			tr.note("%s: image %s is the one this stack builds: %s", key, s.Image, tag)
		}
		s.Image, s.PullPolicy = tag, types.PullPolicyNever
		tr.project.Services[key] = s
	}
	return nil
}

// tagOf is a reference's tag, "latest" without one (a digest names no
// tag a build could give).
func tagOf(named reference.Named) string {
	if t, ok := named.(reference.Tagged); ok {
		return t.Tag()
	}
	return "latest"
}
