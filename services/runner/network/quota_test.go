package network_test

import (
	"context"
	"fmt"
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
	"github.com/dockeronline/platform/services/runner/quota"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// TestNetworkQuota: with a quota of 2, a user makes 2 networks and the
// third is refused naming the quota rule; the default network, made for a
// container, does not count; usage reports networks; an admin raises the
// quota and the third is made.
func TestNetworkQuota(t *testing.T) {
	cli := dockertest.Client(t)
	img := dockertest.BusyboxImage(t, cli)
	srv := natstest.Server(t)
	runnertest.Start(t, srv.ClientURL(), map[string]string{"RUNNER_QUOTA_NETWORKS": "2"})
	nc := natstest.Connect(t, srv)
	u := runnertest.NewUser(t, cli, identity.RoleUser)
	admin := runnertest.NewUser(t, cli, identity.RoleAdmin)
	call := func(c identity.Caller, op subjects.RunnerOp, req any) error {
		ctx, cancel := context.WithTimeout(identity.With(context.Background(), c), time.Minute)
		defer cancel()
		_, err := bus.Request[any](ctx, nc, subjects.RunnerRequestSubject(op), req)
		return err
	}
	usage := func() msg.Usage {
		ctx, cancel := context.WithTimeout(identity.With(context.Background(), u), time.Minute)
		defer cancel()
		us, err := bus.Request[msg.Usage](ctx, nc, subjects.RunnerRequestSubject(subjects.UsageGet), msg.UsageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return us
	}
	// The default network comes with the first container and is free.
	if err := call(u, subjects.ContainerCreate, msg.ContainerCreate{Spec: msg.ContainerSpec{Name: "c", Image: img, Cmd: []string{"sleep", "600"}}}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		refused bool
	}{{"n1", false}, {"n2", false}, {"n3", true}}
	for _, s := range steps {
		err := call(u, subjects.NetworkCreate, msg.NetworkCreate{Name: s.name})
		e := apierr.From(err)
		switch {
		case !s.refused && err != nil:
			t.Fatalf("create %s: %v", s.name, err)
		case s.refused && (e == nil || e.Code != apierr.CodeQuota || e.Rule != quota.RuleQuota || !strings.Contains(e.Message, "network quota exceeded")):
			t.Fatalf("create %s past the quota: %v; want quota_exceeded naming the network quota", s.name, err)
		}
	}
	if us := usage(); us.Used.Networks != 2 || us.Quota.Networks != 2 {
		t.Fatalf("usage %+v: want 2 networks used of 2", us)
	}
	three := 3
	if err := call(u, subjects.QuotaSet, msg.QuotaSetRequest{UserID: u.UserID, Networks: &three}); apierr.From(err) == nil || apierr.From(err).Code != apierr.CodeForbidden {
		t.Fatalf("a user set their own quota: %v", err)
	}
	if err := call(admin, subjects.QuotaSet, msg.QuotaSetRequest{UserID: u.UserID, Networks: &three}); err != nil {
		t.Fatal(err)
	}
	if err := call(u, subjects.NetworkCreate, msg.NetworkCreate{Name: "n3"}); err != nil {
		t.Fatalf("create n3 after the admin raised the quota: %v", err)
	}
	if us := usage(); us.Used.Networks != 3 || us.Quota.Networks != 3 {
		t.Fatalf("usage %+v: want 3 networks used of 3", us)
	}
}

// TestConcurrentNetworkCreatesRespectTheQuota: the quota is counted under
// the user's lock, so 6 concurrent creates with room for 2 make 2.
func TestConcurrentNetworkCreatesRespectTheQuota(t *testing.T) {
	cli := dockertest.Client(t)
	srv := natstest.Server(t)
	runnertest.Start(t, srv.ClientURL(), map[string]string{"RUNNER_QUOTA_NETWORKS": "2"})
	nc := natstest.Connect(t, srv)
	u := runnertest.NewUser(t, cli, identity.RoleUser)
	errs := make(chan error, 6)
	for i := range 6 {
		go func() {
			ctx, cancel := context.WithTimeout(identity.With(context.Background(), u), time.Minute)
			defer cancel()
			_, err := bus.Request[msg.Network](ctx, nc, subjects.RunnerRequestSubject(subjects.NetworkCreate), msg.NetworkCreate{Name: fmt.Sprintf("p%d", i)})
			errs <- err
		}()
	}
	made, refused := 0, 0
	for range 6 {
		switch e := apierr.From(<-errs); {
		case e == nil:
			made++
		case e.Code == apierr.CodeQuota:
			refused++
		default:
			t.Errorf("unexpected error %v", e)
		}
	}
	if made != 2 || refused != 4 {
		t.Fatalf("%d made, %d refused; want 2 and 4", made, refused)
	}
}
