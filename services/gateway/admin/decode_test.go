package admin

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/dockeronline/platform/pkg/msg"
)

// TestDecodeQuotaPassesEveryLimit: every quota an admin may set, networks
// included, reaches the runner's request; unknown fields are refused.
func TestDecodeQuotaPassesEveryLimit(t *testing.T) {
	tests := []struct {
		name, body string
		check      func(msg.QuotaSetRequest) bool
		wantErr    bool
	}{
		{"networks", `{"networks": 7}`, func(r msg.QuotaSetRequest) bool { return r.Networks != nil && *r.Networks == 7 && r.Volumes == nil }, false},
		{"volumes and networks", `{"volumes": 3, "networks": 0}`, func(r msg.QuotaSetRequest) bool {
			return r.Volumes != nil && *r.Volumes == 3 && r.Networks != nil && *r.Networks == 0
		}, false},
		{"unknown field", `{"bridges": 1}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPut, "/users/u1/quota", strings.NewReader(tt.body))
			rc := chi.NewRouteContext()
			rc.URLParams.Add("id", "u1")
			r = r.WithContext(context.WithValue(r.Context(), chi.RouteCtxKey, rc))
			got, err := decodeQuota(r.Context(), r)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("decoded %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			req := got.(msg.QuotaSetRequest)
			if req.UserID != "u1" || !tt.check(req) {
				t.Fatalf("decoded %+v", req)
			}
		})
	}
}
