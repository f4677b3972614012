package testenv

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// The bait records a request and serves its secret; a fake test catches
// the hit at cleanup.
func TestBaitRecordsHits(t *testing.T) {
	fake := &testing.T{}
	var b *Bait
	t.Run("attack", func(t *testing.T) {
		b = NewBait(t)
		resp, err := http.Get(b.URL + "admin/identities")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), BaitSecret) {
			t.Errorf("bait body %q lacks the secret", body)
		}
		hits := b.Hits()
		if len(hits) != 1 || !strings.HasPrefix(hits[0], "GET /admin/identities") {
			t.Errorf("hits = %q, want one GET /admin/identities", hits)
		}
		b.AssertUntouched(fake)
		// The subtest itself must not fail at cleanup for this deliberate hit.
		b.mu.Lock()
		b.hits = nil
		b.mu.Unlock()
	})
	if !fake.Failed() {
		t.Error("AssertUntouched did not fail for a bait that was reached")
	}
}
