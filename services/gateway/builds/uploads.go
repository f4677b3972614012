package builds

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/gateway/httpx"
)

// UploadConfig bounds uploaded contexts (builds and stacks).
type UploadConfig struct {
	// MaxBytes is the largest context accepted (BUILD_MAX_CONTEXT_MB, 50 MB).
	MaxBytes int64
	// TTL is how long an upload nobody used stays (BUILD_CONTEXT_TTL, 1h).
	TTL time.Duration
	// StoreBytes bounds the whole bucket (BUILD_CONTEXTS_MAX_MB, 2048 MB).
	StoreBytes int64
}

// LoadUploadConfig reads the upload settings.
func LoadUploadConfig(e *config.Env) UploadConfig {
	return UploadConfig{
		MaxBytes:   int64(e.Int("BUILD_MAX_CONTEXT_MB", 50)) << 20,
		TTL:        e.Duration("BUILD_CONTEXT_TTL", time.Hour),
		StoreBytes: int64(e.Int("BUILD_CONTEXTS_MAX_MB", 2048)) << 20,
	}
}

// Uploads writes uploaded contexts into the JetStream object store bucket
// msg.ContextsBucket, in chunks: a context is far larger than one NATS
// message. Each object is named by a random id and records its owner, so
// the runner reads it for that user only; the bucket's TTL removes what
// nobody used, the runner removes what it read.
type Uploads struct {
	js  jetstream.JetStream
	cfg UploadConfig

	mu    sync.Mutex
	store jetstream.ObjectStore
}

// NewUploads returns the uploader.
func NewUploads(js jetstream.JetStream, cfg UploadConfig) *Uploads {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 50 << 20
	}
	if cfg.TTL <= 0 {
		cfg.TTL = time.Hour
	}
	if cfg.StoreBytes <= 0 {
		cfg.StoreBytes = 2048 << 20
	}
	return &Uploads{js: js, cfg: cfg}
}

// MaxBytes is the largest context accepted.
func (u *Uploads) MaxBytes() int64 { return u.cfg.MaxBytes }

// bucket opens (creating it on first use) the contexts bucket.
func (u *Uploads) bucket(ctx context.Context) (jetstream.ObjectStore, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.store != nil {
		return u.store, nil
	}
	s, err := u.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      msg.ContextsBucket,
		Description: "uploaded build and stack contexts, on their way to a runner",
		TTL:         u.cfg.TTL,
		MaxBytes:    u.cfg.StoreBytes,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, apierr.New(apierr.CodeUnavailable, "the upload store is not available: %v", err)
	}
	u.store = s
	return s, nil
}

var errTooLarge = errors.New("upload too large")

// limited fails the read once more than n bytes came.
type limited struct {
	r io.Reader
	n int64
}

func (l *limited) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if l.n -= int64(n); l.n < 0 {
		return n, errTooLarge
	}
	return n, err
}

// Put stores r for owner and returns the object's name.
func (u *Uploads) Put(ctx context.Context, owner string, r io.Reader) (string, error) {
	s, err := u.bucket(ctx)
	if err != nil {
		return "", err
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	name := hex.EncodeToString(b)
	_, err = s.Put(ctx, jetstream.ObjectMeta{Name: name, Metadata: map[string]string{msg.ContextOwnerKey: owner}},
		&limited{r: r, n: u.cfg.MaxBytes})
	if err != nil {
		u.Delete(ctx, name)
		if errors.Is(err, errTooLarge) {
			return "", apierr.New(apierr.CodeTooLarge, "the context is larger than %d MB (BUILD_MAX_CONTEXT_MB)", u.cfg.MaxBytes>>20)
		}
		if limit, big := httpx.IsTooLarge(err); big {
			return "", httpx.TooLarge(limit)
		}
		return "", apierr.New(apierr.CodeUnavailable, "could not store the context: %v", err)
	}
	return name, nil
}

// Delete removes an upload (best effort: the TTL removes it anyway).
func (u *Uploads) Delete(ctx context.Context, name string) {
	s, err := u.bucket(ctx)
	if err != nil {
		return
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = s.Delete(dctx, name)
}
