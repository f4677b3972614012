package image

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/policy"
)

// List shows the caller's images: those they pulled, those their
// containers use and those they built, each with only the tags the caller
// put there. Admins asking for all get every image on the host with the
// users who reference it.
func (s *service) List(ctx context.Context, req msg.ImageListRequest) (msg.ImageList, error) {
	c, err := caller(ctx)
	if err != nil {
		return msg.ImageList{}, err
	}
	imgs, err := s.docker.ImageList(ctx, client.ImageListOptions{})
	if err != nil {
		return msg.ImageList{}, engine.FromDocker("list images", err)
	}
	if req.All && c.IsAdmin() {
		return s.listAll(ctx, imgs.Items)
	}
	refs, err := s.refs.OfUser(ctx, c.UserID)
	if err != nil {
		return msg.ImageList{}, err
	}
	ctrs, err := engine.ListContainers(ctx, s.docker, c.UserID)
	if err != nil {
		return msg.ImageList{}, err
	}
	claims, err := s.refs.Claims(ctx)
	if err != nil {
		return msg.ImageList{}, err
	}
	out := msg.ImageList{Images: []msg.Image{}}
	held := map[string]bool{} // references still on the host
	for _, im := range imgs.Items {
		if v, ok := userView(c, im, refs, ctrs, claims); ok {
			out.Images = append(out.Images, v)
			for _, r := range v.Pulled {
				held[r] = true
			}
		}
	}
	s.prune(ctx, refs, held)
	sortImages(out.Images)
	return out, nil
}

// userView is im as c may see it, and whether c has it at all: by the
// references c pulled or built (never by labels the image carries).
func userView(c identity.Caller, im image.Summary, refs []Ref, ctrs []container.Summary, claims map[string][]string) (msg.Image, bool) {
	v := summary(im)
	names := refNames(im)
	tags := map[string]bool{}
	for _, r := range refs {
		if !names[r.Ref] || !stillTheirs(c, r, im.ID, claims) {
			continue
		}
		tags[r.Ref] = true
		if r.Built {
			v.Owner = c.UserID
		} else {
			v.Pulled = append(v.Pulled, r.Ref)
		}
	}
	for _, ct := range ctrs {
		if ct.ImageID != im.ID {
			continue
		}
		v.Containers = append(v.Containers, ct.Labels[policy.LabelName])
		if _, ref, err := Parse(ct.Image); err == nil && names[ref] {
			tags[ref] = true
		}
	}
	if len(v.Pulled) == 0 && len(v.Containers) == 0 && v.Owner == "" {
		return msg.Image{}, false
	}
	v.Tags = sortedKeys(tags)
	// Digests name the image, not a user's tag: only those of the caller's
	// repositories are shown.
	v.Digests = slices.DeleteFunc(slices.Clone(im.RepoDigests), func(d string) bool { return !sameRepo(d, v.Tags) })
	sort.Strings(v.Pulled)
	sort.Strings(v.Containers)
	return v, true
}

// stillTheirs reports whether c's reference r still names the image id:
// a tag moves when it is pulled or built again, and a tag another user's
// build took over (they claimed the namespace after c pulled from it) is
// no longer c's to see.
func stillTheirs(c identity.Caller, r Ref, id string, claims map[string][]string) bool {
	if r.ImageID == id {
		return true
	}
	named, _, err := Parse(r.Ref)
	if err != nil {
		return false
	}
	ns := Namespace(named)
	return ns == "" || !ownedByOther(claims[ns], c.UserID)
}

// listAll is the admins' view: every image, with who references it.
func (s *service) listAll(ctx context.Context, imgs []image.Summary) (msg.ImageList, error) {
	refs, err := s.refs.All(ctx)
	if err != nil {
		return msg.ImageList{}, err
	}
	ctrs, err := engine.ListContainers(ctx, s.docker, "")
	if err != nil {
		return msg.ImageList{}, err
	}
	out := msg.ImageList{Images: make([]msg.Image, 0, len(imgs))}
	for _, im := range imgs {
		v := summary(im)
		v.Tags = slices.Clone(im.RepoTags)
		v.Digests = slices.Clone(im.RepoDigests)
		names := refNames(im)
		users := map[string]bool{}
		for _, r := range refs {
			if names[r.Ref] {
				users[r.Username] = true
				if r.Built && r.ImageID == im.ID {
					v.Owner = r.Owner
				}
			}
		}
		for _, ct := range ctrs {
			if ct.ImageID == im.ID {
				users[ct.Labels[policy.LabelUsername]] = true
				v.Containers = append(v.Containers, ct.Labels[policy.LabelUsername]+"/"+ct.Labels[policy.LabelName])
			}
		}
		v.Users = sortedKeys(users)
		sort.Strings(v.Containers)
		out.Images = append(out.Images, v)
	}
	sortImages(out.Images)
	return out, nil
}

// prune drops the caller's references whose image left the host (removed by
// an admin or on the host). The delete is guarded by the revision read, so
// a pull recording the same reference meanwhile is kept.
func (s *service) prune(ctx context.Context, refs []Ref, held map[string]bool) {
	for _, r := range refs {
		if held[r.Ref] {
			continue
		}
		// Docker's list may race a pull that just finished: ask once more.
		if _, err := s.docker.ImageInspect(ctx, r.Ref); err == nil {
			continue
		}
		if err := s.refs.Delete(ctx, r); err != nil {
			s.log.WarnContext(ctx, "could not drop a stale image reference", "image", r.Ref, "err", err)
		}
	}
}

func summary(im image.Summary) msg.Image {
	return msg.Image{ID: im.ID, Tags: []string{}, Size: im.Size, Created: time.Unix(im.Created, 0).UTC()}
}

// refNames are the references Docker knows im by (tags and digests).
func refNames(im image.Summary) map[string]bool {
	m := make(map[string]bool, len(im.RepoTags)+len(im.RepoDigests))
	for _, t := range im.RepoTags {
		m[t] = true
	}
	for _, d := range im.RepoDigests {
		m[d] = true
	}
	return m
}

// sameRepo reports whether the digest reference d ("repo@sha256:…") is of
// the repository of one of tags.
func sameRepo(d string, tags []string) bool {
	named, _, err := Parse(d)
	if err != nil {
		return false
	}
	for _, t := range tags {
		if tn, _, err := Parse(t); err == nil && tn.Name() == named.Name() {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortImages(imgs []msg.Image) {
	sort.Slice(imgs, func(i, j int) bool {
		ti, tj := first(imgs[i].Tags), first(imgs[j].Tags)
		if ti != tj {
			return ti < tj
		}
		return imgs[i].ID < imgs[j].ID
	})
}

func first(s []string) string {
	if len(s) == 0 {
		return "~" // untagged images last
	}
	return s[0]
}
