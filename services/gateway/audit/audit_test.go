package audit

import "testing"

func TestSubject(t *testing.T) {
	tests := []struct{ method, pattern, want string }{
		{"POST", "/api/v1/containers", "post.containers"},
		{"POST", "/api/v1/containers/{name}/stop", "post.containers.stop"},
		{"DELETE", "/api/v1/admin/users/{id}", "delete.admin.users"},
		{"PUT", "/api/v1/admin/users/{id}/role", "put.admin.users.role"},
		{"POST", "/api/v1/*", "post"},
		{"PATCH", "/api/v1/we.ird/Na me", "patch.we_ird.na_me"},
	}
	for _, tt := range tests {
		if got := Subject(tt.method, tt.pattern); got != tt.want {
			t.Errorf("Subject(%s %s) = %q, want %q", tt.method, tt.pattern, got, tt.want)
		}
	}
}

func TestStateChanging(t *testing.T) {
	for m, want := range map[string]bool{"GET": false, "HEAD": false, "OPTIONS": false, "POST": true, "PUT": true, "PATCH": true, "DELETE": true} {
		if StateChanging(m) != want {
			t.Errorf("StateChanging(%s) = %v", m, !want)
		}
	}
}
