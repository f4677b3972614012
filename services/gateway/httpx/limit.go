package httpx

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/dockeronline/platform/pkg/apierr"
)

// An oversized body must end in a 413 the client can read. Go's
// http.MaxBytesReader stops reading and makes the server close the
// connection while the client is still sending: the client then sees a
// reset, not the answer. So a body over its limit is read on and thrown
// away, within bounds, before the handler answers; past those bounds the
// connection is closed anyway and such a client may see a reset (one
// sending more than this for longer is not waiting for an answer).
// Discarding costs the server no memory and little CPU; the time bound is
// what limits it, like any upload.
const (
	// maxDrain bounds how much of an oversized body is discarded.
	maxDrain = 256 << 20
	// drainTimeout bounds how long discarding may take.
	drainTimeout = 10 * time.Second
)

// TooLarge is the error of a body over limit bytes.
func TooLarge(limit int64) *apierr.Error {
	return apierr.New(apierr.CodeTooLarge, "request body is larger than %d bytes; send less", limit)
}

// IsTooLarge reports whether err is a body over its limit (from LimitBody
// or http.MaxBytesReader); the limit is returned.
func IsTooLarge(err error) (int64, bool) {
	var big *http.MaxBytesError
	if errors.As(err, &big) {
		return big.Limit, true
	}
	return 0, false
}

// LimitBody replaces r.Body with a reader that fails with an
// *http.MaxBytesError past limit bytes, after draining the rest of the body
// (bounded), so the handler's 413 reaches the client.
func LimitBody(w http.ResponseWriter, r *http.Request, limit int64) {
	if _, ok := r.Body.(*limitedBody); ok || r.Body == nil || r.Body == http.NoBody {
		return
	}
	r.Body = &limitedBody{body: r.Body, left: limit, limit: limit, w: w}
}

// Limit is LimitBody as middleware; a request that declares a longer body
// (Content-Length) is answered 413 at once, without running next.
func Limit(limit int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			LimitBody(w, r, limit)
			if r.ContentLength > limit {
				_, _ = io.Copy(io.Discard, r.Body)
				WriteError(w, TooLarge(limit))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

type limitedBody struct {
	body  io.ReadCloser
	left  int64
	limit int64
	w     http.ResponseWriter
	hit   bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.hit {
		return 0, &http.MaxBytesError{Limit: b.limit}
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.body.Read(p)
	if int64(n) <= b.left {
		b.left -= int64(n)
		return n, err
	}
	n, b.hit = int(b.left), true
	b.left = 0
	b.drain()
	return n, &http.MaxBytesError{Limit: b.limit}
}

// drain discards the rest of the body, bounded in bytes and time; past
// either bound the server closes the connection after the answer.
func (b *limitedBody) drain() {
	rc := http.NewResponseController(b.w)
	_ = rc.SetReadDeadline(time.Now().Add(drainTimeout))
	n, err := io.CopyN(io.Discard, b.body, maxDrain)
	if err == nil && n == maxDrain {
		// Still more: do not keep this connection.
		b.w.Header().Set("Connection", "close")
	}
	_ = rc.SetReadDeadline(time.Time{})
}

func (b *limitedBody) Close() error { return b.body.Close() }
