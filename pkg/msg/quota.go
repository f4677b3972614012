package msg

// Quota is what a user may allocate. Memory and CPUs count the limits of
// all the user's containers, running or not, so a stopped container can
// always be started again.
type Quota struct {
	Containers int     `json:"containers"`
	MemoryMB   int64   `json:"memory_mb"`
	CPUs       float64 `json:"cpus"`
	Volumes    int     `json:"volumes"`
	// Networks counts the networks a user made; their default network,
	// made for them on first use, does not count.
	Networks int `json:"networks"`
	// Runtime is the OCI runtime the user's containers run with (runc, or
	// runsc for gVisor): the platform default unless an admin chose one.
	// Not a count: usage leaves it empty.
	Runtime string `json:"runtime,omitempty"`
}

// Usage is a user's quota and what they use of it.
type Usage struct {
	UserID string `json:"user_id"`
	Quota  Quota  `json:"quota"`
	Used   Quota  `json:"used"`
}

// UsageRequest asks for a user's usage; UserID is for admins (empty: the
// caller). All lists everyone's (admins only).
type UsageRequest struct {
	UserID string `json:"user_id,omitempty"`
	All    bool   `json:"all,omitempty"`
}

// UsageList is the reply to an All usage request.
type UsageList struct {
	Users []Usage `json:"users"`
}

// QuotaSetRequest changes a user's quota (admins). A nil field keeps its
// value; Reset returns every field to the platform default.
type QuotaSetRequest struct {
	UserID     string   `json:"user_id"`
	Containers *int     `json:"containers,omitempty"`
	MemoryMB   *int64   `json:"memory_mb,omitempty"`
	CPUs       *float64 `json:"cpus,omitempty"`
	Volumes    *int     `json:"volumes,omitempty"`
	Networks   *int     `json:"networks,omitempty"`
	Reset      bool     `json:"reset,omitempty"`
	// Runtime, if set, is the user's runtime (runc or runsc); "" returns
	// the user to the platform default (RUNNER_RUNTIME).
	Runtime *string `json:"runtime,omitempty"`
}
