package build

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
)

// uploadIDLen is the length of an upload's object name (16 random bytes in
// hex, chosen by the gateway).
const uploadIDLen = 32

// ValidUploadID reports whether id has the form of an upload's object name;
// anything else is never looked up.
func ValidUploadID(id string) bool {
	if len(id) != uploadIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// FetchUpload reads the uploaded context name for c from the contexts
// bucket, then deletes it: an upload serves one command. Another user's
// upload, a missing or expired one and a malformed name are all "not
// found". maxBytes bounds what is read.
func FetchUpload(ctx context.Context, js jetstream.JetStream, c identity.Caller, name string, maxBytes int64) ([]byte, error) {
	notFound := apierr.NotFound("uploaded context %q not found (uploads expire; upload it again)", name)
	if !ValidUploadID(name) {
		return nil, notFound
	}
	store, err := js.ObjectStore(ctx, msg.ContextsBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, apierr.New(apierr.CodeUnavailable, "the upload store is not available: %v", err)
	}
	info, err := store.GetInfo(ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, apierr.New(apierr.CodeUnavailable, "the upload store is not available: %v", err)
	}
	if info.Metadata[msg.ContextOwnerKey] != c.UserID {
		return nil, notFound
	}
	if info.Size > uint64(maxBytes) {
		return nil, apierr.Invalid("the uploaded context is larger than %d MB", maxBytes>>20)
	}
	r, err := store.Get(ctx, name)
	if err != nil {
		return nil, apierr.New(apierr.CodeUnavailable, "could not read the uploaded context: %v", err)
	}
	defer r.Close()
	body, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, apierr.New(apierr.CodeUnavailable, "could not read the uploaded context: %v", err)
	}
	if int64(len(body)) > maxBytes {
		return nil, apierr.Invalid("the uploaded context is larger than %d MB", maxBytes>>20)
	}
	// Done with it; the bucket's TTL would remove it anyway.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = store.Delete(dctx, name)
	return body, nil
}
