package signup

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHook(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		rule       string
	}{
		{"valid", `{"traits":{"username":"alice-1"}}`, 200, ""},
		{"reserved", `{"traits":{"username":"root"}}`, 400, "username-reserved"},
		{"reserved admin", `{"traits":{"username":"admin"}}`, 400, "username-reserved"},
		{"double dash", `{"traits":{"username":"a--b"}}`, 400, "name-separator"},
		{"trailing dash", `{"traits":{"username":"abc-"}}`, 400, "name-charset"},
		{"upper case", `{"traits":{"username":"Bad"}}`, 400, "username-charset"},
		{"too short", `{"traits":{"username":"ab"}}`, 400, "username-length"},
		{"garbage", `{`, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, Path, strings.NewReader(tt.body)))
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.status == 200 {
				return
			}
			var got struct {
				Messages []fieldMessages `json:"messages"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if len(got.Messages) != 1 || got.Messages[0].InstancePtr != "#/traits/username" || len(got.Messages[0].Messages) != 1 {
				t.Fatalf("body %s", rec.Body)
			}
			m := got.Messages[0].Messages[0]
			if m.Type != "error" || m.ID != MessageID || m.Context["rule"] != tt.rule || (tt.rule != "" && !strings.Contains(m.Text, tt.rule)) {
				t.Errorf("message %+v, want rule %q", m, tt.rule)
			}
		})
	}
}
