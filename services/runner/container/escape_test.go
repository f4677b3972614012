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
// create command, on a runner whose runtime is runc and on one whose
// runtime is gVisor (runsc): each is refused with its rule and nothing is
// created — no container, volume or network for the user. A plain
// container of the same user then proves which runtime the runner used.
func TestEscapeSuiteThroughTheRunner(t *testing.T) {
	for _, rt := range []string{policy.RuntimeRunc, policy.RuntimeRunsc} {
		t.Run(rt, func(t *testing.T) {
			h := setup(t, map[string]string{"RUNNER_PUBLISH_PORTS": "20000-20999", "RUNNER_RUNTIME": rt})
			u := runnertest.NewUser(t, h.cli, identity.RoleUser)
			cases := policy.EscapeCases()
			for _, tc := range cases {
				t.Run(tc.Name, func(t *testing.T) {
					_, err := call[msg.Container](h, u, subjects.ContainerCreate, msg.ContainerCreate{Spec: tc.Spec(h.image)})
					if ae := apierr.From(err); ae == nil || ae.Rule != tc.Rule {
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
			t.Logf("%d escape cases refused under %s", len(cases), rt)

			c, err := call[msg.Container](h, u, subjects.ContainerCreate, msg.ContainerCreate{Spec: probeSpec("control", h.image, "")})
			if err != nil {
				t.Fatalf("control create: %v", err)
			}
			runsUnder(t, h, c, rt)
		})
	}
}
