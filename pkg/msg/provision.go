package msg

import "time"

// ProvisionDisabled is the state of an account the provisioner was told
// about while provisioning was switched off (PROVISION_ENABLED=false): the
// event is recorded, nothing was done on the host. When provisioning is
// switched on again, such accounts are provisioned at start.
const ProvisionDisabled ProvisionState = "disabled"

// ProvisionOperation is what the last event asked for a user's account.
type ProvisionOperation string

// Provisioning operations.
const (
	ProvisionCreate ProvisionOperation = "create" // evt.user.created
	ProvisionDelete ProvisionOperation = "delete" // evt.user.deleted
)

// ProvisionStatusRequest is the request of cmd.provisioner.status. A user may
// ask only for their own id; an admin may ask for any ids, or set All to list
// every account (and the dead letters).
type ProvisionStatusRequest struct {
	UserIDs []string `json:"user_ids,omitempty"`
	All     bool     `json:"all,omitempty"`
}

// LinuxAccount is the provisioning state of one user's Linux account.
type LinuxAccount struct {
	UserID    string             `json:"user_id"`
	Username  string             `json:"username"`
	Operation ProvisionOperation `json:"operation"`
	State     ProvisionState     `json:"state"`
	Reason    string             `json:"reason,omitempty"`
	Attempts  int                `json:"attempts"`
	UpdatedAt time.Time          `json:"updated_at"`
}

// ProvisionStatus is the reply of cmd.provisioner.status. Users the
// provisioner has not heard of yet are absent from Accounts.
type ProvisionStatus struct {
	Accounts []LinuxAccount `json:"accounts"`
	// DeadLetters are the most recent events the provisioner gave up on;
	// only filled for an admin's All request.
	DeadLetters []ProvisionDeadLetter `json:"dead_letters,omitempty"`
}

// ProvisionDeadLetter records an event the provisioner stopped retrying:
// parked (the host account is not ours, the name is refused) or failing
// past the redelivery limit.
type ProvisionDeadLetter struct {
	ID         int64     `json:"id"`
	Subject    string    `json:"subject"`
	EventID    string    `json:"event_id,omitempty"`
	UserID     string    `json:"user_id,omitempty"`
	Username   string    `json:"username,omitempty"`
	Reason     string    `json:"reason"`
	Deliveries int       `json:"deliveries"`
	CreatedAt  time.Time `json:"created_at"`
}

// ProvisionRetryRequest is the request of cmd.provisioner.retry (admins
// only): run the user's last operation again now. The reply is the
// resulting LinuxAccount.
type ProvisionRetryRequest struct {
	UserID string `json:"user_id"`
}
