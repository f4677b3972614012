package account

import (
	"strings"

	"github.com/dockeronline/platform/pkg/identity"
)

// Bootstrap names the first admin by something only that person has:
// an identity id (BOOTSTRAP_ADMIN_ID), or an e-mail address (BOOTSTRAP_ADMIN)
// that counts only once Kratos has verified it. A username never counts:
// anyone could register the configured one before its owner does.
type Bootstrap struct {
	ID    string
	Email string
}

// Configured reports whether any bootstrap admin is named.
func (b Bootstrap) Configured() bool { return b.ID != "" || b.Email != "" }

// Grants reports whether the holder of a session is the bootstrap admin:
// the identity id matches, or the configured e-mail is the identity's and
// verified.
func (b Bootstrap) Grants(ki KratosIdentity) bool {
	if b.ID != "" && ki.ID == b.ID {
		return true
	}
	return b.Email != "" && ki.EmailVerified && strings.EqualFold(ki.Email, b.Email)
}

// Protects reports whether a stored user is the bootstrap admin, whom other
// admins may not disable, demote or delete. By e-mail only once it was made
// an admin (which needs the verified address, or another admin's grant): an
// unverified holder of the address is an ordinary user.
func (b Bootstrap) Protects(u User) bool {
	if b.ID != "" && u.ID == b.ID {
		return true
	}
	return b.Email != "" && u.Role == identity.RoleAdmin && strings.EqualFold(u.Email, b.Email)
}
