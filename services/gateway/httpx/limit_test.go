package httpx

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dockeronline/platform/pkg/apierr"
)

// chunked hides a body's length, so the client sends it chunked.
type chunked struct{ io.Reader }

// A body over the limit is answered 413 with the JSON error body, read by a
// real client over a real connection (not a reset), whether the client
// declares the length or sends chunks; both the decoder and the middleware.
func TestOversizedBodyGets413(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/decode", func(w http.ResponseWriter, r *http.Request) {
		var v map[string]any
		if err := DecodeStrict(w, r, &v); err != nil {
			WriteError(w, err)
			return
		}
		WriteJSON(w, http.StatusOK, v)
	})
	mux.Handle("/limit", Limit(1<<10)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			WriteError(w, TooLarge(1<<10))
			return
		}
		WriteJSON(w, http.StatusOK, map[string]string{})
	})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	client := &http.Client{Timeout: 30 * time.Second}

	big := func(n int) []byte {
		b := bytes.Repeat([]byte("x"), n)
		copy(b, `{"a":"`)
		return b
	}
	tests := []struct {
		name, path string
		body       []byte
		chunked    bool
		status     int
	}{
		{"small json", "/decode", []byte(`{"a":1}`), false, 200},
		{"json just over", "/decode", big(MaxBody + 1), false, 413},
		{"json 4 MiB", "/decode", big(4 << 20), false, 413},
		{"json 4 MiB chunked", "/decode", big(4 << 20), true, 413},
		{"json 40 MiB chunked", "/decode", big(40 << 20), true, 413},
		{"middleware small", "/limit", []byte("ok"), false, 200},
		{"middleware declared length", "/limit", big(64 << 10), false, 413},
		{"middleware chunked", "/limit", big(64 << 10), true, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader = bytes.NewReader(tt.body)
			if tt.chunked {
				body = chunked{body}
			}
			req, err := http.NewRequest(http.MethodPost, srv.URL+tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			if tt.chunked && req.ContentLength != -1 && req.ContentLength != 0 {
				t.Fatalf("body would not be chunked (length %d)", req.ContentLength)
			}
			res, err := client.Do(req)
			if err != nil {
				t.Fatalf("client saw %v, want a %d answer", err, tt.status)
			}
			defer res.Body.Close()
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
			if tt.status != 413 {
				return
			}
			var e struct {
				Error apierr.Error `json:"error"`
			}
			if err := json.NewDecoder(res.Body).Decode(&e); err != nil || e.Error.Code != apierr.CodeTooLarge || e.Error.Message == "" {
				t.Fatalf("body %+v (%v), want code %s", e, err, apierr.CodeTooLarge)
			}
		})
	}
}
