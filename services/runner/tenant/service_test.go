package tenant

import (
	"context"
	"testing"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
)

// TestRefusals: only admins, and never an empty or odd user id — an empty
// owner filter would match every user's objects. The refusals come before
// any Docker call, so no engine is needed (a nil client would panic).
func TestRefusals(t *testing.T) {
	s := New(nil, nil)
	admin := identity.Caller{UserID: "a-1", Username: "boss", Role: identity.RoleAdmin}
	user := identity.Caller{UserID: "u-1", Username: "alice", Role: identity.RoleUser}
	tests := []struct {
		name   string
		caller *identity.Caller
		id     string
		code   apierr.Code
	}{
		{"no caller", nil, "u-2", apierr.CodeForbidden},
		{"not admin", &user, "u-2", apierr.CodeForbidden},
		{"not admin, own id", &user, "u-1", apierr.CodeForbidden},
		{"empty id", &admin, "", apierr.CodeInvalid},
		{"label injection", &admin, "x,dockeronline.owner", apierr.CodeInvalid},
		{"too long", &admin, string(make([]byte, 65)), apierr.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.caller != nil {
				ctx = identity.With(ctx, *tt.caller)
			}
			_, perr := s.Purge(ctx, msg.UserRef{UserID: tt.id})
			_, serr := s.Pause(ctx, msg.UserRef{UserID: tt.id})
			for op, err := range map[string]error{"purge": perr, "pause": serr} {
				if e := apierr.From(err); e == nil || e.Code != tt.code {
					t.Errorf("%s: %v, want %s", op, err, tt.code)
				}
			}
		})
	}
}
