package app

import (
	"testing"

	"github.com/dockeronline/platform/pkg/config"
)

// A username in BOOTSTRAP_ADMIN stops the service: it would never match
// again, and silently, since a username no longer makes an admin.
func TestBootstrapAdminConfig(t *testing.T) {
	tests := []struct {
		env map[string]string
		ok  bool
	}{
		{map[string]string{}, true},
		{map[string]string{"BOOTSTRAP_ADMIN": "boss@example.com"}, true},
		{map[string]string{"BOOTSTRAP_ADMIN_ID": "0c1d-id"}, true},
		{map[string]string{"BOOTSTRAP_ADMIN": "admin-user"}, false},
	}
	for _, tt := range tests {
		c, err := LoadConfig(config.FromMap(tt.env))
		if (err == nil) != tt.ok {
			t.Errorf("%v: err %v, want ok=%v", tt.env, err, tt.ok)
		}
		if err == nil && (c.Bootstrap.Email != tt.env["BOOTSTRAP_ADMIN"] || c.Bootstrap.ID != tt.env["BOOTSTRAP_ADMIN_ID"]) {
			t.Errorf("%v: bootstrap %+v", tt.env, c.Bootstrap)
		}
	}
}
