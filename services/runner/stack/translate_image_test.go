package stack

import (
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/dockeronline/platform/pkg/apierr"
)

func TestImageBesideBuildIsTaggedInTheUsersNamespace(t *testing.T) {
	tests := []struct {
		name    string
		compose string
		images  map[string]string // service → image after translation
		pull    map[string]bool   // services that must never pull
		notes   []string
	}{
		{
			name: "build with image, and a service using it",
			compose: "services:\n  backend:\n    build: backend\n    image: example/backend\n" +
				"  worker:\n    image: example/backend:latest\n  db:\n    image: busybox\n",
			images: map[string]string{"backend": "alice/backend:latest", "worker": "alice/backend:latest", "db": "busybox"},
			pull:   map[string]bool{"worker": true},
			notes: []string{"backend: image example/backend is built as alice/backend:latest",
				"worker: image example/backend:latest is the one this stack builds: alice/backend:latest"},
		},
		{
			name:    "another registry, a tag",
			compose: "services:\n  api:\n    build: .\n    image: ghcr.io/org/team/api:1.2\n",
			images:  map[string]string{"api": "alice/api:1.2"},
			notes:   []string{"api: image ghcr.io/org/team/api:1.2 is built as alice/api:1.2"},
		},
		{
			name:    "an official image's name",
			compose: "services:\n  web:\n    build: .\n    image: busybox:latest\n  side:\n    image: busybox\n",
			images:  map[string]string{"web": "alice/busybox:latest", "side": "alice/busybox:latest"},
			pull:    map[string]bool{"side": true},
		},
		{
			name:    "another user's namespace",
			compose: "services:\n  web:\n    build: .\n    image: bob/web\n",
			images:  map[string]string{"web": "alice/web:latest"},
		},
		{
			name:    "two builds, one last name: the second is named after its service",
			compose: "services:\n  a:\n    build: backend\n    image: one/app\n  b:\n    build: worker\n    image: two/app\n",
			images:  map[string]string{"a": "alice/app:latest", "b": "alice/s-b:latest"},
		},
		{
			name:    "two builds of one image share the tag",
			compose: "services:\n  a:\n    build: backend\n    image: one/app\n  b:\n    build: backend\n    image: one/app:latest\n",
			images:  map[string]string{"a": "alice/app:latest", "b": "alice/app:latest"},
		},
		{
			name:    "the user's own namespace is kept, its users never pull",
			compose: "services:\n  web:\n    build: .\n    image: alice/site:2\n  copy:\n    image: alice/site:2\n",
			images:  map[string]string{"web": "alice/site:2", "copy": "alice/site:2"},
			pull:    map[string]bool{"copy": true},
		},
		{
			name:    "no image: the stack's own name",
			compose: "services:\n  web:\n    build: .\n",
			images:  map[string]string{"web": "alice/s-web:latest"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, notes, err := translateTest(t, "s", tt.compose)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			for svc, want := range tt.images {
				if got := p.Services[svc].Image; got != want {
					t.Errorf("service %s runs %q, want %q", svc, got, want)
				}
				never := p.Services[svc].PullPolicy == types.PullPolicyNever
				if tt.pull[svc] && !never {
					t.Errorf("service %s may pull %q", svc, p.Services[svc].Image)
				}
			}
			for _, want := range tt.notes {
				if !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, want) }) {
					t.Errorf("no note says %q: %q", want, notes)
				}
			}
		})
	}
}

// TestBuiltImageStaysInTheNamespace: whatever image: says, a build's tag
// is in the user's namespace (normalize still refuses one that is not:
// a bug in the translation must not tag over another user's image).
func TestBuiltImageStaysInTheNamespace(t *testing.T) {
	p, _ := loadTest(t, "s", "services:\n  web:\n    build: .\n    image: bob/web\n")
	n := newNamer("s", keysOf(p.Services))
	if _, err := builtImage(testTenant, n, p.Services["web"]); apierr.From(err) == nil {
		t.Fatal("an untranslated image in bob's namespace was accepted as alice's build tag")
	}
}
