package image

import (
	"context"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/policy"
)

// RuleNotYours is the rule that keeps a user from removing, from the host,
// an image they neither pulled nor built (one an admin provides, say).
const RuleNotYours = "image-not-yours"

// Remove drops the caller's reference to an image and removes the
// reference from Docker when nobody else needs it. See the package comment
// for the model; admins remove from Docker directly.
func (s *service) Remove(ctx context.Context, req msg.ImageRef) (msg.ImageRemoveResult, error) {
	c, err := caller(ctx)
	if err != nil {
		return msg.ImageRemoveResult{}, err
	}
	if c.IsAdmin() && isImageID(req.Ref) {
		return s.adminRemove(ctx, c, req.Ref)
	}
	_, ref, err := Parse(req.Ref)
	if err != nil {
		return msg.ImageRemoveResult{}, err
	}
	in, err := s.docker.ImageInspect(ctx, ref)
	if cerrdefs.IsNotFound(err) {
		// Gone from the host: forget the caller's reference, if any. The
		// answer is the same whether or not they had one.
		if r, ok, _ := s.refs.Get(ctx, c.UserID, ref); ok {
			_ = s.refs.Delete(ctx, r)
		}
		return msg.ImageRemoveResult{}, notFound(ref)
	}
	if err != nil {
		return msg.ImageRemoveResult{}, engine.FromDocker("inspect image "+ref, err)
	}
	if c.IsAdmin() {
		return s.adminRemove(ctx, c, ref)
	}
	mine, held, err := s.refs.Get(ctx, c.UserID, ref)
	if err != nil {
		return msg.ImageRemoveResult{}, err
	}
	if held && mine.ImageID != in.ID {
		// The tag moved since c recorded it: if it moved to an image c
		// may not use (another user's build), it is not theirs to remove.
		if s.access.MayUse(ctx, c, ref) != nil {
			return msg.ImageRemoveResult{}, notFound(ref)
		}
	}
	if !held {
		// Seen only through a container of theirs, or not at all.
		uses, err := s.usedBy(ctx, in.ID, c.UserID)
		if err != nil {
			return msg.ImageRemoveResult{}, err
		}
		if !uses {
			return msg.ImageRemoveResult{}, notFound(ref)
		}
		return msg.ImageRemoveResult{}, apierr.Policy(RuleNotYours, "you did not pull or build %q, so it stays on the host; an admin can remove it", ref)
	}

	// Drop the caller's reference first, then look for other holders: of
	// two users removing at once, at least the second sees nobody left.
	if held {
		if err := s.refs.Delete(ctx, mine); err != nil {
			return msg.ImageRemoveResult{}, err
		}
	}
	restore := func() {
		if held {
			if err := s.refs.Put(context.WithoutCancel(ctx), mine); err != nil {
				s.log.ErrorContext(ctx, "could not restore an image reference", "image", ref, "user", c.Username, "err", err)
			}
		}
	}
	shared, err := s.sharedWithOthers(ctx, c, ref, in.ID)
	if err != nil {
		restore()
		return msg.ImageRemoveResult{}, err
	}
	if shared {
		s.publish(ctx, "remove", c, ref, in.ID)
		return msg.ImageRemoveResult{Ref: ref, Message: "removed from your images; it stays on the host because other users use it"}, nil
	}
	if _, err := s.docker.ImageRemove(ctx, ref, client.ImageRemoveOptions{PruneChildren: true}); err != nil && !cerrdefs.IsNotFound(err) {
		restore()
		return msg.ImageRemoveResult{}, removeError(ref, err)
	}
	s.publish(ctx, "remove", c, ref, in.ID)
	return msg.ImageRemoveResult{Ref: ref, Deleted: true, Message: "removed from the host"}, nil
}

// sharedWithOthers reports whether anyone but c holds ref or has a
// container on the image. Containers outside the platform count as others.
func (s *service) sharedWithOthers(ctx context.Context, c identity.Caller, ref, imageID string) (bool, error) {
	holders, err := s.refs.Holders(ctx, ref)
	if err != nil {
		return false, err
	}
	for _, h := range holders {
		if h.Owner != c.UserID {
			return true, nil
		}
	}
	ctrs, err := s.docker.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil {
		return false, engine.FromDocker("list containers", err)
	}
	for _, ct := range ctrs.Items {
		if ct.ImageID == imageID && ct.Labels[policy.LabelOwner] != c.UserID {
			return true, nil
		}
	}
	return false, nil
}

// usedBy reports whether a container of owner uses the image.
func (s *service) usedBy(ctx context.Context, imageID, owner string) (bool, error) {
	ctrs, err := engine.ListContainers(ctx, s.docker, owner)
	if err != nil {
		return false, err
	}
	for _, ct := range ctrs {
		if ct.ImageID == imageID {
			return true, nil
		}
	}
	return false, nil
}

// adminRemove removes ref (a reference or an image id) from Docker without
// forcing: Docker refuses, in its own words, while a container uses it.
// Every user's reference to what was removed goes too.
func (s *service) adminRemove(ctx context.Context, c identity.Caller, ref string) (msg.ImageRemoveResult, error) {
	res, err := s.docker.ImageRemove(ctx, ref, client.ImageRemoveOptions{PruneChildren: true})
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return msg.ImageRemoveResult{}, notFound(ref).WithDocker(engine.DockerText(err))
		}
		return msg.ImageRemoveResult{}, removeError(ref, err)
	}
	for _, d := range res.Items {
		if d.Untagged == "" {
			continue
		}
		holders, err := s.refs.Holders(ctx, d.Untagged)
		if err != nil {
			s.log.WarnContext(ctx, "image removed but its references were not dropped", "image", d.Untagged, "err", err)
			continue
		}
		for _, h := range holders {
			_ = s.refs.Delete(ctx, h)
		}
	}
	s.publish(ctx, "remove", c, ref, "")
	return msg.ImageRemoveResult{Ref: ref, Deleted: true, Message: "removed from the host"}, nil
}

func removeError(ref string, err error) error {
	if cerrdefs.IsConflict(err) {
		return apierr.Conflict("image %q is in use and cannot be removed", ref).WithDocker(engine.DockerText(err))
	}
	return engine.FromDocker("remove image "+ref, err)
}

// notFound is the one answer for an image that is absent, or not the
// caller's: existence of other users' images is not revealed.
func notFound(ref string) *apierr.Error { return apierr.NotFound("image %q not found", ref) }

// isImageID reports whether s names an image by id ("sha256:<hex>" or a
// hex prefix of at least 12), which only admins may remove by.
func isImageID(s string) bool {
	h := strings.TrimPrefix(s, "sha256:")
	if len(h) < 12 || len(h) > 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
