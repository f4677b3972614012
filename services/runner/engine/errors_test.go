package engine

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/dockeronline/platform/pkg/apierr"
)

// TestFromDockerNamesTheCause: Docker's errors become platform errors with
// the right code; a host out of network address pools (Docker 20.10's
// exact text, which Docker files as "not found") is a 503 that says so
// and quotes Docker, never a 404.
func TestFromDockerNamesTheCause(t *testing.T) {
	const pools = "Error response from daemon: could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network"
	tests := []struct {
		name    string
		err     error
		code    apierr.Code
		message string
	}{
		{"address pools exhausted", fmt.Errorf("%s: %w", pools, cerrdefs.ErrNotFound), apierr.CodeUnavailable, "no address space left for another network"},
		{"plain not found", fmt.Errorf("Error response from daemon: network x not found: %w", cerrdefs.ErrNotFound), apierr.CodeNotFound, "not found"},
		{"conflict", fmt.Errorf("Error response from daemon: network with name x already exists: %w", cerrdefs.ErrConflict), apierr.CodeConflict, "conflict"},
		{"other", errors.New("Error response from daemon: boom"), apierr.CodeInternal, "Docker failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := apierr.From(FromDocker("create network n", tt.err))
			if e == nil || e.Code != tt.code || !strings.Contains(e.Message, tt.message) || !strings.HasPrefix(tt.err.Error(), "Error response from daemon: "+e.Docker) {
				t.Fatalf("FromDocker = %+v; want code %s, message with %q, Docker's text quoted", e, tt.code, tt.message)
			}
			if tt.code == apierr.CodeUnavailable && e.HTTPStatus() != http.StatusServiceUnavailable {
				t.Fatalf("status %d, want 503", e.HTTPStatus())
			}
		})
	}
}
