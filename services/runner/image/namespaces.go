package image

import (
	"context"
	"errors"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/names"
)

// Namespace claims. A user's image namespace is their username ("alice/app"
// is Docker Hub's docker.io/alice/app, which builds tag). The runner holds
// no user table, so it records, in the references bucket, that the
// platform user with that id and that (verified, unique) username has
// used the image paths: key "ns.<username>.<user id>". The first image
// command of a user — a run, build, stack or pull — claims their name;
// every build claims it again. A claim outlives its user (deleting a
// user keeps it), so the images of a deleted user never turn public.
// Three tokens keep claims out of the references' two-token filters.

const claimPrefix = "ns."

func claimKey(username, owner string) string { return claimPrefix + username + "." + owner }

// isClaimKey tells claims from references ("<owner>.<base64url>").
func isClaimKey(key string) bool {
	return strings.HasPrefix(key, claimPrefix) && strings.Count(key, ".") == 2
}

// Claim records that the platform user owner has the username ns. A claim
// that exists already is kept as it is.
func (s *Refs) Claim(ctx context.Context, ns, owner string) error {
	if err := validOwner(owner); err != nil {
		return err
	}
	if err := names.ValidateUsername(ns); err != nil {
		return apierr.Invalid("%q cannot name an image namespace: %v", ns, err)
	}
	_, err := s.kv.Create(ctx, claimKey(ns, owner), []byte(owner))
	if err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return unavailable(err)
	}
	return nil
}

// Claimants are the user ids that claimed the namespace ns: none for a
// name no platform user has used, one otherwise (usernames are unique; a
// name freed by a deleted user and taken again has two).
func (s *Refs) Claimants(ctx context.Context, ns string) ([]string, error) {
	if names.ValidateUsername(ns) != nil {
		// Not a username any platform user can have: nobody's namespace.
		return nil, nil
	}
	claims, err := s.claims(ctx, claimPrefix+ns+".*")
	return claims[ns], err
}

// Claims are every namespace claim: username → user ids.
func (s *Refs) Claims(ctx context.Context) (map[string][]string, error) {
	return s.claims(ctx, claimPrefix+"*.*")
}

func (s *Refs) claims(ctx context.Context, filter string) (map[string][]string, error) {
	w, err := s.kv.Watch(ctx, filter, jetstream.IgnoreDeletes(), jetstream.MetaOnly())
	if err != nil {
		return nil, unavailable(err)
	}
	defer func() { _ = w.Stop() }()
	out := map[string][]string{}
	for {
		select {
		case <-ctx.Done():
			return nil, apierr.New(apierr.CodeTimeout, "reading image namespace claims took too long")
		case e, ok := <-w.Updates():
			if !ok || e == nil {
				return out, nil
			}
			parts := strings.Split(e.Key(), ".")
			if len(parts) == 3 {
				out[parts[1]] = append(out[parts[1]], parts[2])
			}
		}
	}
}

// ownedByOther reports whether owners (a namespace's claimants) name
// someone other than owner.
func ownedByOther(owners []string, owner string) bool {
	for _, o := range owners {
		if o != owner {
			return true
		}
	}
	return false
}
