package httpx

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dockeronline/platform/pkg/apierr"
)

func TestDecodeStrict(t *testing.T) {
	type body struct {
		Name string `json:"name"`
		N    int    `json:"n"`
	}
	tests := []struct {
		in, ctype, want string
	}{
		{`{"name":"a","n":1}`, "application/json", ""},
		{`{"name":"a","priviliged":true}`, "application/json", `unknown field "priviliged"`},
		{`{"name":`, "application/json", "malformed JSON"},
		{`{"n":"x"}`, "application/json", `field "n" must be int`},
		{``, "application/json", "empty"},
		{`{"name":"a"} {"name":"b"}`, "application/json", "single JSON object"},
		{`{"name":"a"}`, "text/plain", "Content-Type"},
		{`{"name":"` + strings.Repeat("x", MaxBody) + `"}`, "application/json", "larger than"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.in))
		r.Header.Set("Content-Type", tt.ctype)
		var b body
		err := DecodeStrict(httptest.NewRecorder(), r, &b)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%.30q: %v", tt.in, err)
			}
			continue
		}
		var ae *apierr.Error
		code := apierr.CodeInvalid
		if tt.want == "larger than" {
			code = apierr.CodeTooLarge
		}
		if !errors.As(err, &ae) || ae.Code != code || !strings.Contains(ae.Message, tt.want) {
			t.Errorf("%.30q: got %v, want %s mentioning %q", tt.in, err, code, tt.want)
		}
	}
}
