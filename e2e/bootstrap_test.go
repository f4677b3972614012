package e2e

import (
	"net/http"
	"testing"

	"github.com/dockeronline/platform/e2e/stack"
)

// TestBootstrapAdminNeedsAVerifiedIdentity: the bootstrap admin is named by
// a verified e-mail (BOOTSTRAP_ADMIN), never by a username. Whoever
// registers the admin's username first, or holds the admin's address
// without having verified it, gets no admin role; once the address is
// verified, a new session of its owner is an admin.
func TestBootstrapAdminNeedsAVerifiedIdentity(t *testing.T) {
	s := stack.StartAccounts(t)
	role := func(token string) string {
		var me struct {
			Role string `json:"role"`
		}
		s.Call(t, token, http.MethodGet, "/api/v1/me", nil).JSON(t, &me)
		return me.Role
	}

	// The configured address's local part as a username, another address.
	squatter := s.RegisterWith(t, s.Admin, stack.UniqueName("sq")+"@example.test")
	if r := role(squatter.Token); r != "user" {
		t.Fatalf("a user named like the admin's address has role %q", r)
	}

	// The admin's own address, not verified yet.
	owner := s.RegisterWith(t, stack.UniqueName("own"), s.AdminEmail())
	if r := role(owner.Token); r != "user" {
		t.Fatalf("an unverified holder of BOOTSTRAP_ADMIN has role %q", r)
	}
	if err := s.Kratos.VerifyAddresses(owner.UserID); err != nil {
		t.Fatal(err)
	}
	status, token := apiLogin(t, s, owner.Username, "correct horse battery "+owner.Username)
	if status != http.StatusOK || token == "" {
		t.Fatalf("login: %d", status)
	}
	if r := role(token); r != "admin" {
		t.Fatalf("the verified owner of BOOTSTRAP_ADMIN has role %q in a new session", r)
	}
	if r := role(squatter.Token); r != "user" {
		t.Fatalf("the squatter became %q", r)
	}
}
