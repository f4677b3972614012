package account

import (
	"testing"

	"github.com/dockeronline/platform/pkg/identity"
)

func TestBootstrapGrants(t *testing.T) {
	byEmail := Bootstrap{Email: "Boss@Example.com"}
	byID := Bootstrap{ID: "id-boss"}
	tests := []struct {
		name string
		b    Bootstrap
		ki   KratosIdentity
		want bool
	}{
		{"verified e-mail", byEmail, KratosIdentity{ID: "x", Username: "anyone", Email: "boss@example.com", EmailVerified: true}, true},
		{"unverified e-mail", byEmail, KratosIdentity{ID: "x", Username: "anyone", Email: "boss@example.com"}, false},
		{"username equal to the setting", Bootstrap{Email: "boss@example.com"}, KratosIdentity{ID: "x", Username: "boss@example.com", EmailVerified: true, Email: "other@example.com"}, false},
		{"identity id", byID, KratosIdentity{ID: "id-boss", Username: "whoever"}, true},
		{"another id", byID, KratosIdentity{ID: "id-other", Username: "id-boss", Email: "id-boss", EmailVerified: true}, false},
		{"nothing configured", Bootstrap{}, KratosIdentity{ID: "", Email: "", EmailVerified: true}, false},
	}
	for _, tt := range tests {
		if got := tt.b.Grants(tt.ki); got != tt.want {
			t.Errorf("%s: Grants = %v, want %v", tt.name, got, tt.want)
		}
	}
	// Protection from other admins: only the admin it made, never an
	// unverified holder of the address.
	if byEmail.Protects(User{ID: "x", Email: "boss@example.com", Role: identity.RoleUser}) {
		t.Error("an ordinary user holding the address is protected")
	}
	if !byEmail.Protects(User{ID: "x", Email: "boss@example.com", Role: identity.RoleAdmin}) || !byID.Protects(User{ID: "id-boss"}) {
		t.Error("the bootstrap admin is not protected")
	}
}
