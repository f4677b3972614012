package msg

import "github.com/dockeronline/platform/pkg/identity"

// SessionCheck asks auth to resolve a Kratos session. Exactly one of Cookie
// (the raw Cookie header) or Token (a session token) is set.
type SessionCheck struct {
	Cookie string `json:"cookie,omitempty"`
	Token  string `json:"token,omitempty"`
}

// Session is an authenticated platform user.
type Session struct {
	identity.Caller
	Email string `json:"email"`
}

// UserEvent is the payload of evt.user.created and evt.user.deleted.
type UserEvent struct {
	EventID  string `json:"event_id"`
	UserID   string `json:"user_id"`
	Username string `json:"username"`
	Email    string `json:"email,omitempty"`
}

// ProvisionState is the state of a user's Linux account on the Docker host.
type ProvisionState string

// Provisioning states.
const (
	ProvisionPending ProvisionState = "pending"
	ProvisionReady   ProvisionState = "ready"
	ProvisionFailed  ProvisionState = "failed"
	ProvisionRemoved ProvisionState = "removed"
)

// ProvisionEvent is the payload of evt.provision.*.
type ProvisionEvent struct {
	EventID  string         `json:"event_id"`
	UserID   string         `json:"user_id"`
	Username string         `json:"username"`
	State    ProvisionState `json:"state"`
	Reason   string         `json:"reason,omitempty"`
	Attempts int            `json:"attempts"`
}
