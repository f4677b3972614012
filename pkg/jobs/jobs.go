// Package jobs is the platform's one mechanism for long operations (image
// pulls now; builds and compose up later). The runner starts a job and gets
// its id at once, so the command that asked for it can reply immediately;
// the work then reports progress and ends exactly once, done or failed.
//
// Every event goes to job.<id>.progress, stored in the JetStream stream
// JOBS for Retention, so a reader that arrives late, reloads the page or
// reconnects replays the whole history before following the job live. The
// job's metadata (owner, kind, state) is kept in the KV bucket "jobs", so a
// reader can check who may see a job before showing anything of it.
//
// Runner side: Start, then Job.Progress, Job.Done or Job.Fail.
// Gateway side: Get and Authorize, then Watch.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Retention is how long a job's history and state are kept after their
// last write. Jobs are watched while they run and shortly after; the
// platform's lasting facts go on the EVENTS stream, not here.
const Retention = time.Hour

// Limits of the JOBS stream. MaxEventsPerJob bounds one job's history (the
// oldest progress goes first; the final event is always the newest, so it
// is never the one dropped). Progress is throttled by its producers (see
// Throttle), so a normal job stays far below it.
const (
	MaxEventsPerJob = 20000
	MaxEventSize    = 64 << 10
	MaxStreamBytes  = 256 << 20
)

// Heartbeat is how often a running job refreshes its Updated time; a
// running job not refreshed for StaleAfter is reported lost (its runner
// stopped or died without ending it).
const (
	Heartbeat  = 30 * time.Second
	StaleAfter = 4 * Heartbeat
)

// StreamConfig is the one definition of the JOBS stream.
var StreamConfig = jetstream.StreamConfig{
	Name:              subjects.JobsStream,
	Description:       "progress of long jobs (pull, build, compose up), replayed to late readers",
	Subjects:          []string{subjects.JobsAll},
	Storage:           jetstream.FileStorage,
	Retention:         jetstream.LimitsPolicy,
	Discard:           jetstream.DiscardOld,
	MaxAge:            Retention,
	MaxMsgsPerSubject: MaxEventsPerJob,
	MaxMsgSize:        MaxEventSize,
	MaxBytes:          MaxStreamBytes,
	// A re-published event (a retry after a lost ack) is stored once.
	Duplicates: 2 * time.Minute,
}

// BucketConfig is the one definition of the jobs KV bucket.
var BucketConfig = jetstream.KeyValueConfig{
	Bucket:       subjects.JobsBucket,
	Description:  "long jobs: owner, kind, state; keyed by job id",
	History:      1,
	TTL:          Retention,
	MaxValueSize: MaxEventSize,
	Storage:      jetstream.FileStorage,
}

// Ensure creates or updates the JOBS stream and the jobs bucket. Starting
// a job ensures them too, so start order is free; services call it at start
// to find a broken JetStream early.
func Ensure(ctx context.Context, js jetstream.JetStream) error {
	if _, err := js.CreateOrUpdateStream(ctx, StreamConfig); err != nil {
		return fmt.Errorf("ensure stream %s: %w", subjects.JobsStream, err)
	}
	if _, err := js.CreateOrUpdateKeyValue(ctx, BucketConfig); err != nil {
		return fmt.Errorf("ensure bucket %s: %w", subjects.JobsBucket, err)
	}
	return nil
}

// idLen is the length of a job id: 16 random bytes in hex.
const idLen = 32

func newID() string {
	b := make([]byte, idLen/2)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}

// ValidID reports whether id has the form of a job id. Ids become a NATS
// subject token and a KV key, so anything else (".", "*", ">") is refused
// before it gets near either: a crafted id must never widen a subscription.
func ValidID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// errNotFound is what a reader gets for a missing, expired, malformed or
// someone else's job: the same answer, so ids cannot be probed.
func errNotFound(id string) *apierr.Error {
	return apierr.NotFound("job %q not found", id)
}

// Authorize lets the job's owner and admins read it; anyone else gets the
// same "not found" as for a job that does not exist.
func Authorize(j msg.Job, c identity.Caller) error {
	if c.UserID != "" && (j.Owner == c.UserID || c.IsAdmin()) {
		return nil
	}
	return errNotFound(j.ID)
}
