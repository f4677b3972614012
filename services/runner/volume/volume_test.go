package volume_test

import (
	"context"
	"strconv"
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
	"github.com/dockeronline/platform/services/runner/policy"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

func TestVolumesAreOwnedAndGuarded(t *testing.T) {
	cli := dockertest.Client(t)
	img := dockertest.BusyboxImage(t, cli)
	srv := natstest.Server(t)
	runnertest.Start(t, srv.ClientURL(), map[string]string{"RUNNER_QUOTA_VOLUMES": "2"})
	nc := natstest.Connect(t, srv)
	a := runnertest.NewUser(t, cli, identity.RoleUser)
	b := runnertest.NewUser(t, cli, identity.RoleUser)
	do := func(c identity.Caller, op subjects.RunnerOp, req any) (msg.Volume, error) {
		ctx, cancel := context.WithTimeout(identity.With(context.Background(), c), time.Minute)
		defer cancel()
		return bus.Request[msg.Volume](ctx, nc, subjects.RunnerRequestSubject(op), req)
	}
	list := func(c identity.Caller) []msg.Volume {
		ctx := identity.With(context.Background(), c)
		l, err := bus.Request[msg.VolumeList](ctx, nc, subjects.RunnerRequestSubject(subjects.VolumeList), msg.VolumeListRequest{All: true})
		if err != nil {
			t.Fatal(err)
		}
		return l.Volumes
	}

	v, err := do(a, subjects.VolumeCreate, msg.VolumeCreate{Name: "data"})
	if err != nil || v.Name != "data" || v.DockerName != a.Username+"--data" || v.Owner != a.UserID {
		t.Fatalf("create: %+v %v", v, err)
	}
	many := map[string]string{}
	for i := range 1000 {
		many["l"+strconv.Itoa(i)] = "x"
	}
	if _, err := do(a, subjects.VolumeCreate, msg.VolumeCreate{Name: "labelled", Labels: many}); apierr.From(err) == nil || apierr.From(err).Rule != policy.RuleSize {
		t.Fatalf("1,000 labels: %v", err)
	}
	if _, err := do(a, subjects.VolumeCreate, msg.VolumeCreate{Name: "data"}); apierr.From(err) == nil || apierr.From(err).Code != apierr.CodeConflict {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := do(b, subjects.VolumeCreate, msg.VolumeCreate{Name: "data"}); err != nil {
		t.Fatalf("b may have its own data: %v", err)
	}
	if ls := list(b); len(ls) != 1 || ls[0].Owner != b.UserID {
		t.Fatalf("b lists %+v", ls)
	}
	// B cannot remove A's volume by any name.
	for _, name := range []string{"data", a.Username + "--data"} {
		_, err := do(b, subjects.VolumeRemove, msg.VolumeRef{Name: name, Owner: ""})
		if name == "data" {
			continue // b's own "data": tested below
		}
		if e := apierr.From(err); e == nil || e.Code != apierr.CodeNotFound {
			t.Fatalf("b removes %s: %v", name, err)
		}
	}

	// In use: refused, naming the container.
	ctx := identity.With(context.Background(), a)
	spec := msg.ContainerSpec{Name: "db", Image: img, Cmd: []string{"sleep", "600"}, Volumes: []msg.VolumeMount{{Volume: "data", Target: "/data"}}}
	if _, err := bus.Request[msg.Container](ctx, nc, subjects.RunnerRequestSubject(subjects.ContainerCreate), msg.ContainerCreate{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	_, err = do(a, subjects.VolumeRemove, msg.VolumeRef{Name: "data"})
	if e := apierr.From(err); e == nil || e.Code != apierr.CodeConflict || !strings.Contains(e.Message, "db") {
		t.Fatalf("remove in use: %v", err)
	}
	if ls := list(a); len(ls) != 1 || len(ls[0].UsedBy) != 1 || ls[0].UsedBy[0] != "db" {
		t.Fatalf("a lists %+v", ls)
	}

	// Quota: a second volume fits, a third does not.
	if _, err := do(a, subjects.VolumeCreate, msg.VolumeCreate{Name: "two"}); err != nil {
		t.Fatal(err)
	}
	if _, err := do(a, subjects.VolumeCreate, msg.VolumeCreate{Name: "three"}); apierr.From(err) == nil || apierr.From(err).Code != apierr.CodeQuota {
		t.Fatalf("third volume: %v", err)
	}
	if _, err := bus.Request[msg.Empty](ctx, nc, subjects.RunnerRequestSubject(subjects.ContainerRemove), msg.ContainerRef{Name: "db", Force: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := do(a, subjects.VolumeRemove, msg.VolumeRef{Name: "data"}); err != nil {
		t.Fatalf("remove after: %v", err)
	}
	if ls := list(a); len(ls) != 1 || ls[0].Name != "two" {
		t.Fatalf("after remove %+v", ls)
	}
}
