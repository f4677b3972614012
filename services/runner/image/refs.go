package image

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/subjects"
)

// RefsBucketConfig is the one definition of the bucket of users' image
// references. It has no TTL: a reference lasts until its user removes the
// image (or the image leaves the host, when the next list prunes it).
var RefsBucketConfig = jetstream.KeyValueConfig{
	Bucket:      subjects.ImageRefsBucket,
	Description: "images each user pulled or built: key <user id>.<base64url reference>; namespace claims: ns.<username>.<user id>",
	History:     1,
	Storage:     jetstream.FileStorage,
}

// Ref is one user's reference to an image on the host: the user pulled or
// built it, so it is "theirs" to see, run and remove, while a pulled image
// is shared read-only by everyone who pulled the same reference. These
// records, not labels an image carries, say whose an image is.
type Ref struct {
	Ref      string    `json:"ref"` // familiar form, e.g. "127.0.0.1:5000/app:1"
	ImageID  string    `json:"image_id"`
	Owner    string    `json:"owner"`
	Username string    `json:"username"`
	Pulled   time.Time `json:"pulled"` // when it was pulled or built
	Built    bool      `json:"built,omitempty"`

	rev uint64 // the KV revision read, for guarded deletes
}

// Refs stores users' references in the KV bucket, keyed
// "<user id>.<base64url(ref)>" so one user's references are one filter
// ("<user id>.*") and one reference's holders another ("*.<base64url>").
type Refs struct{ kv jetstream.KeyValue }

// OpenRefs creates or updates the bucket and returns the store.
func OpenRefs(ctx context.Context, js jetstream.JetStream) (*Refs, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, RefsBucketConfig)
	if err != nil {
		return nil, fmt.Errorf("ensure bucket %s: %w", subjects.ImageRefsBucket, err)
	}
	return &Refs{kv: kv}, nil
}

// validOwner keeps user ids to one KV key token; Kratos ids (UUIDs) and the
// tests' ids pass, while ".", "*" or ">" could never widen a filter.
func validOwner(id string) error {
	if id == "" || len(id) > 128 {
		return apierr.Invalid("caller user id %q cannot own images", id)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return apierr.Invalid("caller user id %q cannot own images", id)
		}
	}
	return nil
}

func encodeRef(ref string) string { return base64.RawURLEncoding.EncodeToString([]byte(ref)) }

func refKey(owner, ref string) string { return owner + "." + encodeRef(ref) }

// Put records that owner holds ref.
func (s *Refs) Put(ctx context.Context, r Ref) error {
	if err := validOwner(r.Owner); err != nil {
		return err
	}
	body, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := s.kv.Put(ctx, refKey(r.Owner, r.Ref), body); err != nil {
		return unavailable(err)
	}
	return nil
}

// Get returns owner's reference to ref, if any.
func (s *Refs) Get(ctx context.Context, owner, ref string) (Ref, bool, error) {
	if err := validOwner(owner); err != nil {
		return Ref{}, false, err
	}
	e, err := s.kv.Get(ctx, refKey(owner, ref))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Ref{}, false, nil
	}
	if err != nil {
		return Ref{}, false, unavailable(err)
	}
	r, err := decodeRef(e)
	return r, err == nil, err
}

// Delete drops r, but only if it is still the revision that was read: a
// pull that re-recorded it meanwhile wins.
func (s *Refs) Delete(ctx context.Context, r Ref) error {
	var opts []jetstream.KVDeleteOpt
	if r.rev != 0 {
		opts = append(opts, jetstream.LastRevision(r.rev))
	}
	err := s.kv.Delete(ctx, refKey(r.Owner, r.Ref), opts...)
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) && !isWrongRevision(err) {
		return unavailable(err)
	}
	return nil
}

// OfUser lists owner's references.
func (s *Refs) OfUser(ctx context.Context, owner string) ([]Ref, error) {
	if err := validOwner(owner); err != nil {
		return nil, err
	}
	return s.scan(ctx, owner+".*")
}

// Holders lists every user's reference to ref.
func (s *Refs) Holders(ctx context.Context, ref string) ([]Ref, error) {
	return s.scan(ctx, "*."+encodeRef(ref))
}

// All lists every reference (admins' view).
func (s *Refs) All(ctx context.Context) ([]Ref, error) { return s.scan(ctx, ">") }

// DropUser forgets every reference of owner (a deleted user) and returns
// the references dropped; images nobody else holds stay on the host for an
// admin to remove (they show in the admins' list with no users).
func (s *Refs) DropUser(ctx context.Context, owner string) ([]string, error) {
	refs, err := s.OfUser(ctx, owner)
	if err != nil {
		return nil, err
	}
	var dropped []string
	for _, r := range refs {
		if err := s.Delete(ctx, r); err != nil {
			return dropped, err
		}
		dropped = append(dropped, r.Ref)
	}
	return dropped, nil
}

// scan reads the current values of the keys matching filter: a watch
// delivers them, then a nil entry marks the end of what exists now.
func (s *Refs) scan(ctx context.Context, filter string) ([]Ref, error) {
	w, err := s.kv.Watch(ctx, filter, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, unavailable(err)
	}
	defer func() { _ = w.Stop() }()
	var out []Ref
	for {
		select {
		case <-ctx.Done():
			return nil, apierr.New(apierr.CodeTimeout, "listing image references took too long")
		case e, ok := <-w.Updates():
			if !ok || e == nil {
				return out, nil
			}
			if isClaimKey(e.Key()) {
				continue // a namespace claim (namespaces.go), not a reference
			}
			if r, err := decodeRef(e); err == nil {
				out = append(out, r)
			}
		}
	}
}

func decodeRef(e jetstream.KeyValueEntry) (Ref, error) {
	var r Ref
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return Ref{}, apierr.New(apierr.CodeInternal, "image reference %s is unreadable: %v", e.Key(), err)
	}
	r.rev = e.Revision()
	return r, nil
}

func isWrongRevision(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		strings.Contains(err.Error(), "wrong last sequence")
}

func unavailable(err error) *apierr.Error {
	return apierr.New(apierr.CodeUnavailable, "the image reference store is not available: %v", err)
}
