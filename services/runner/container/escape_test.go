package container_test

import (
	"context"
	"testing"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/runner/policy"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// TestEscapeSuiteThroughTheRunner sends every catalogued escape as a real
// create command: each is refused with its rule and nothing is created —
// no container, volume or network for the user.
func TestEscapeSuiteThroughTheRunner(t *testing.T) {
	h := setup(t, map[string]string{"RUNNER_PUBLISH_PORTS": "20000-20999"})
	u := runnertest.NewUser(t, h.cli, identity.RoleUser)
	for _, tc := range policy.EscapeCases() {
		t.Run(tc.Name, func(t *testing.T) {
			_, err := call[msg.Container](h, u, subjects.ContainerCreate, msg.ContainerCreate{Spec: tc.Spec(h.image)})
			ae := apierr.From(err)
			if ae == nil || ae.Rule != tc.Rule {
				t.Fatalf("got %v, want rule %s", err, tc.Rule)
			}
		})
	}
	ctx := context.Background()
	f := make(client.Filters).Add("label", policy.LabelOwner+"="+u.UserID)
	cs, _ := h.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	vs, _ := h.cli.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	ns, _ := h.cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if len(cs.Items)+len(vs.Items)+len(ns.Items) != 0 {
		t.Fatalf("refused creates left %d containers, %d volumes, %d networks", len(cs.Items), len(vs.Items), len(ns.Items))
	}
}
