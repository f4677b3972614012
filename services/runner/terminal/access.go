package terminal

import "github.com/dockeronline/platform/pkg/identity"

// mayView reports whether c may see a session of owner's.
func mayView(c identity.Caller, owner string) bool {
	return c.UserID != "" && (c.UserID == owner || c.IsAdmin())
}
