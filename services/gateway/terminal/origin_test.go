package terminal

import (
	"net/http/httptest"
	"testing"
)

func TestOriginAllowed(t *testing.T) {
	allowed := []string{"https://ui.example.com"}
	tests := []struct {
		host, origin string
		want         bool
	}{
		{"gw.example.com", "", true}, // not a browser
		{"gw.example.com", "https://gw.example.com", true},
		{"gw.example.com", "http://GW.example.com", true},
		{"127.0.0.1:8080", "http://127.0.0.1:8080", true},
		{"gw.example.com", "https://ui.example.com", true},
		{"gw.example.com", "https://UI.example.com", true},
		{"gw.example.com", "http://ui.example.com", false}, // scheme is part of the origin
		{"gw.example.com", "https://evil.example", false},
		{"gw.example.com", "https://gw.example.com.evil.example", false},
		{"127.0.0.1:8080", "http://127.0.0.1:9090", false},
		{"gw.example.com", "null", false},
		{"gw.example.com", "::bad", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "http://"+tt.host+"/api/v1/containers/x/terminal", nil)
		if tt.origin != "" {
			r.Header.Set("Origin", tt.origin)
		}
		if got := originAllowed(r, allowed); got != tt.want {
			t.Errorf("host %s origin %q: %v, want %v", tt.host, tt.origin, got, tt.want)
		}
	}
}
