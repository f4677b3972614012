package msg

import (
	"time"

	"github.com/dockeronline/platform/pkg/identity"
)

// User administration: the requests of cmd.auth.user.* (admins only) and of
// cmd.runner.user.purge / cmd.runner.user.pause, and what they answer.

// UserRef names one platform user by id (the Kratos identity id). It is the
// request of cmd.auth.user.delete, .disable and .enable, and of
// cmd.runner.user.purge and .pause.
type UserRef struct {
	UserID string `json:"user_id"`
}

// UserCreateRequest is the request of cmd.auth.user.create: an admin adds a
// user with a first password (Kratos' own password rules apply at login;
// the auth service checks the length). Role is "user" when empty.
type UserCreateRequest struct {
	Username string        `json:"username"`
	Email    string        `json:"email"`
	Password string        `json:"password"`
	Role     identity.Role `json:"role,omitempty"`
}

// UserRoleRequest is the request of cmd.auth.user.role.
type UserRoleRequest struct {
	UserID string        `json:"user_id"`
	Role   identity.Role `json:"role"`
}

// User is a platform user as admins see it (cmd.auth.user.list and the
// reply of every other cmd.auth.user.* command).
type User struct {
	ID        string        `json:"id"`
	Username  string        `json:"username"`
	Email     string        `json:"email"`
	Role      identity.Role `json:"role"`
	Disabled  bool          `json:"disabled"`
	CreatedAt time.Time     `json:"created_at"`
	LastLogin *time.Time    `json:"last_login,omitempty"`
	// Bootstrap marks the admin named by BOOTSTRAP_ADMIN: it cannot be
	// demoted, disabled or deleted through the API.
	Bootstrap bool `json:"bootstrap,omitempty"`
}

// UserList is the reply of cmd.auth.user.list.
type UserList struct {
	Users []User `json:"users"`
}

// UserDeleteResult is the reply of cmd.auth.user.delete. AlreadyGone is set
// when an earlier attempt had finished the deletion: a retry is a success.
type UserDeleteResult struct {
	UserID      string `json:"user_id"`
	Username    string `json:"username,omitempty"`
	AlreadyGone bool   `json:"already_gone,omitempty"`
}

// PurgeResult is the reply of cmd.runner.user.purge: how many Docker
// objects carrying the user's owner label were removed. A purge of a user
// with nothing left answers zeros, so it is safe to repeat.
type PurgeResult struct {
	Containers int `json:"containers"`
	Volumes    int `json:"volumes"`
	Networks   int `json:"networks"`
	Images     int `json:"images"`
}

// PauseResult is the reply of cmd.runner.user.pause: how many of the user's
// containers were running and are now stopped.
type PauseResult struct {
	Stopped int `json:"stopped"`
}
