package network_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// TestUserNetworksIsolateTenants: two users' containers on their own
// networks cannot reach each other; a user's two containers can by name.
func TestUserNetworksIsolateTenants(t *testing.T) {
	cli := dockertest.Client(t)
	img := dockertest.BusyboxImage(t, cli)
	srv := natstest.Server(t)
	runnertest.Start(t, srv.ClientURL())
	nc := natstest.Connect(t, srv)
	a := runnertest.NewUser(t, cli, identity.RoleUser)
	b := runnertest.NewUser(t, cli, identity.RoleUser)
	req := func(c identity.Caller, op subjects.RunnerOp, r any) (msg.Container, error) {
		ctx, cancel := context.WithTimeout(identity.With(context.Background(), c), time.Minute)
		defer cancel()
		return bus.Request[msg.Container](ctx, nc, subjects.RunnerRequestSubject(op), r)
	}
	web := func(name string) msg.ContainerCreate {
		return msg.ContainerCreate{Spec: msg.ContainerSpec{Name: name, Image: img, Cmd: []string{"sh", "-c", "mkdir -p /w && echo " + name + " > /w/index.html && httpd -f -p 80 -h /w"}}}
	}
	if _, err := req(a, subjects.ContainerCreate, web("web")); err != nil {
		t.Fatal(err)
	}
	if _, err := req(b, subjects.ContainerCreate, web("web")); err != nil {
		t.Fatal(err)
	}
	// probe tries a few times (the target may still be starting) and
	// prints the page or UNREACHABLE. (busybox's wget crashes on this host;
	// nc sends the request.)
	probe := func(c identity.Caller, name, target string) string {
		spec := msg.ContainerSpec{Name: name, Image: img, Cmd: []string{"sh", "-c", "for i in 1 2 3 4; do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | timeout 3 nc -w 2 " + target + " 80 | grep web && exit 0; sleep 1; done; echo UNREACHABLE"}}
		ct, err := req(c, subjects.ContainerCreate, msg.ContainerCreate{Spec: spec})
		if err != nil {
			t.Fatal(err)
		}
		out := dockertest.WaitLogs(t, cli, ct.ID, "")
		deadline := time.Now().Add(60 * time.Second)
		for !strings.Contains(out, "web") && !strings.Contains(out, "UNREACHABLE") && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
			o, e := dockertest.Logs(t, cli, ct.ID)
			out = o + e
		}
		return out
	}
	// Same user: reachable by container name on the shared user network.
	if out := probe(a, "probe1", "web"); !strings.Contains(out, "web") {
		t.Fatalf("a cannot reach its own web: %q", out)
	}
	// Other user: B's container resolves "<a>--web" nowhere and can't reach
	// A's IP. One probe suffices: the runner's firewall (isolation package,
	// whose test probes hundreds of times under churn) does not depend on
	// Docker's isolation chains, which Docker rewrites on network churn.
	in, _ := cli.ContainerInspect(context.Background(), a.Username+"--web", clientInspect())
	ip := in.Container.NetworkSettings.Networks[a.Username+"--default"].IPAddress.String()
	if out := probe(b, "probe2", ip); strings.Contains(out, "web") || !strings.Contains(out, "UNREACHABLE") {
		t.Fatalf("b reached a's container at %s: %q", ip, out)
	}

	// Network API: own networks only; removal refused while in use.
	ctx := identity.With(context.Background(), a)
	nl, err := bus.Request[msg.NetworkList](ctx, nc, subjects.RunnerRequestSubject(subjects.NetworkList), msg.NetworkListRequest{All: true})
	if err != nil || len(nl.Networks) != 1 || nl.Networks[0].Name != "default" || len(nl.Networks[0].Containers) != 1 || nl.Networks[0].Containers[0] != "web" {
		t.Fatalf("a's networks %+v %v", nl, err)
	}
	_, err = bus.Request[msg.Empty](ctx, nc, subjects.RunnerRequestSubject(subjects.NetworkRemove), msg.NetworkRef{Name: "default"})
	if e := apierr.From(err); e == nil || e.Code != apierr.CodeConflict || !strings.Contains(e.Message, "web") {
		t.Fatalf("remove in use: %v", err)
	}
	if _, err := bus.Request[msg.Network](ctx, nc, subjects.RunnerRequestSubject(subjects.NetworkCreate), msg.NetworkCreate{Name: "internal", Internal: true}); err != nil {
		t.Fatal(err)
	}
	_, err = bus.Request[msg.Empty](identity.With(context.Background(), b), nc, subjects.RunnerRequestSubject(subjects.NetworkRemove), msg.NetworkRef{Name: "internal"})
	if e := apierr.From(err); e == nil || e.Code != apierr.CodeNotFound {
		t.Fatalf("b removes a's network: %v", err)
	}
	if _, err := bus.Request[msg.Empty](ctx, nc, subjects.RunnerRequestSubject(subjects.NetworkRemove), msg.NetworkRef{Name: "internal"}); err != nil {
		t.Fatalf("remove: %v", err)
	}
}
