package policy

import (
	"errors"
	"strconv"

	"github.com/dockeronline/platform/pkg/names"
)

// Labels every platform object carries. The owner label is the tenancy
// boundary: lookups filter on it first, so another user's object is simply
// not found.
const (
	LabelPrefix   = "dockeronline."
	LabelOwner    = LabelPrefix + "owner"    // platform user id
	LabelUsername = LabelPrefix + "username" // platform username (names and links)
	LabelName     = LabelPrefix + "name"     // the name the user chose
	LabelRequest  = LabelPrefix + "request"  // idempotency key of the create
	LabelLink     = LabelPrefix + "link"     // "public" or "private"
	// The limits a container was admitted with, for quota counting.
	LabelMemory = LabelPrefix + "limit.memory"   // bytes
	LabelCPUs   = LabelPrefix + "limit.nanocpus" // 1e-9 CPUs
	// tmpfs and /dev/shm beyond Docker's default, bytes: memory too.
	LabelTmpfs = LabelPrefix + "limit.tmpfs"
)

// DefaultNetwork is the name of every user's private bridge network
// ("<user>--default" in Docker).
const DefaultNetwork = "default"

func asNamesError(err error, target **names.Error) bool { return errors.As(err, target) }

// Counted is what a container counts for in the quota, read from the labels
// StampLimits put on it: memory in MB (the limit, and tmpfs and /dev/shm
// beyond Docker's default, which are memory too) and CPUs.
func Counted(labels map[string]string) (memoryMB int64, cpus float64) {
	var mem int64
	for _, l := range []string{LabelMemory, LabelTmpfs} {
		if n, err := strconv.ParseInt(labels[l], 10, 64); err == nil && n > 0 {
			mem += n
		}
	}
	if n, err := strconv.ParseInt(labels[LabelCPUs], 10, 64); err == nil && n > 0 {
		cpus = float64(n) / 1e9
	}
	return mem >> 20, cpus
}
