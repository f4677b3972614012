package stack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/runner/policy"
	"github.com/dockeronline/platform/services/runner/runnertest"
	"github.com/dockeronline/platform/services/runner/stack"
)

// filesCompose binds a project file, a project folder and a host path, and
// reads a secret from a project file: the web prints what it finds and
// appends a line to the folder.
const filesCompose = `services:
  web:
    image: %s
    command: ["sh", "-c", "cat /etc/app.conf /code/index.html /run/secrets/pw; stat -c 'mode=%%a' /etc/app.conf; echo wrote >> /code/log; echo lines=$(wc -l < /code/log); ls /data; echo ready; sleep 3600"]
    volumes: ["./app.conf:/etc/app.conf:ro", "./app:/code", "/srv/x:/data"]
    secrets: [pw]
  worker:
    image: %s
    user: "1000:1000"
    command: ["sh", "-c", "echo worker-wrote > /logs/w.txt && stat -c 'owner=%%u:%%g' /logs /logs/keep.txt /logs/w.txt && cat /etc/w.conf && echo worker-done; sleep 3600"]
    volumes: ["./logs:/logs", "./app.conf:/etc/w.conf"]
secrets:
  pw:
    file: ./db/pw.txt
`

// TestStackDeliversProjectFiles: a stack's project files reach its
// containers on the real engine without a host path — a file copied in
// (mode kept, read-only without write bits: the upload's 0755 becomes 0555), a folder as a seeded volume
// whose writes persist across a redeploy while the project's files are
// copied again, a host path as an empty volume, a file: secret at
// /run/secrets — with notes, labels and the stack page's mapping.
func TestStackDeliversProjectFiles(t *testing.T) {
	h := setup(t)
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	u := alice.Username
	files := func(version string) map[string]string {
		return map[string]string{"app.conf": "conf-" + version + "\n", "app/index.html": "page-" + version + "\n", "db/pw.txt": "pw-" + version + "\n", "logs/keep.txt": "k"}
	}
	up := func(version string) msg.StackUpResult {
		t.Helper()
		req := msg.StackUpRequest{Name: "shop", Compose: fmt.Sprintf(filesCompose, h.image, h.image), Context: upload(t, h, alice.UserID, files(version))}
		started, err := call[msg.JobStarted](t, h, alice, subjects.StackUp, req)
		if err != nil {
			t.Fatalf("up: %v", err)
		}
		evs := finish(t, h, started.Job.ID)
		last := evs[len(evs)-1]
		if last.Type != msg.JobEventDone {
			t.Fatalf("up failed: %+v", last.Error)
		}
		var res msg.StackUpResult
		if err := json.Unmarshal(last.Result, &res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := up("one")
	for _, want := range []string{
		"web: ./app.conf → copied to /etc/app.conf",
		"web: ./app → volume " + u + "--shop-app, seeded from the project",
		"web: /srv/x is a host path: the service gets volume " + u + "--shop-srv-x instead",
		"web: secret pw (db/pw.txt) → copied to /run/secrets/pw",
	} {
		if !strings.Contains(strings.Join(res.Notes, "\n"), want) {
			t.Errorf("no note says %q: %q", want, res.Notes)
		}
	}
	web := u + "--shop-web"
	logs := dockertest.WaitLogs(t, h.cli, web, "ready")
	for _, want := range []string{"conf-one", "page-one", "pw-one", "mode=555", "lines=1"} {
		if !strings.Contains(logs, want) {
			t.Errorf("web's output lacks %q:\n%s", want, logs)
		}
	}

	// A numeric user owns its seeded folder, as the author's own files on
	// their machine, and reads its copies.
	wlogs := dockertest.WaitLogs(t, h.cli, u+"--shop-worker", "worker-done")
	if strings.Count(wlogs, "owner=1000:1000") != 3 || !strings.Contains(wlogs, "conf-one") {
		t.Errorf("the worker (user 1000) did not own its files:\n%s", wlogs)
	}

	ctx := context.Background()
	for name, from := range map[string]string{u + "--shop-app": "./app", u + "--shop-srv-x": "/srv/x"} {
		v, err := h.cli.VolumeInspect(ctx, name, client.VolumeInspectOptions{})
		if err != nil {
			t.Fatalf("volume %s: %v", name, err)
		}
		if l := v.Volume.Labels; l[policy.LabelOwner] != alice.UserID || l[policy.LabelStack] != "shop" || l[stack.LabelBind] != from {
			t.Errorf("volume %s labels %v", name, l)
		}
	}
	web0, err := h.cli.ContainerInspect(ctx, web, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range web0.Container.Mounts {
		if m.Type != "volume" {
			t.Errorf("web mounts %s %s → %s: only volumes may be mounted", m.Type, m.Source, m.Destination)
		}
	}
	st, err := call[msg.Stack](t, h, alice, subjects.StackGet, msg.StackRef{Name: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	renamed := fmt.Sprint(st.Renamed)
	if !strings.Contains(renamed, "{bind ./app "+u+"--shop-app}") || !strings.Contains(renamed, "{bind /srv/x "+u+"--shop-srv-x}") {
		t.Errorf("the stack page's mapping: %s", renamed)
	}

	// A redeploy of changed files: the copies follow (the container is
	// recreated), the folder gets the new page and keeps what was written.
	up("two")
	logs = dockertest.WaitLogs(t, h.cli, web, "lines=2")
	for _, want := range []string{"conf-two", "page-two", "pw-two"} {
		if !strings.Contains(logs, want) {
			t.Errorf("after the redeploy, web's output lacks %q:\n%s", want, logs)
		}
	}
	if _, err := call[msg.StackDownResult](t, h, alice, subjects.StackDown, msg.StackRef{Name: "shop", Volumes: true}); err != nil {
		t.Fatalf("down: %v", err)
	}
	if cs, ns, vs := owned(t, h, alice.UserID, "shop"); len(cs)+len(ns)+len(vs) != 0 {
		t.Errorf("after down: containers %v networks %v volumes %v", cs, ns, vs)
	}
	noSeeders(t, h)
}

// noSeeders checks that no seeding container is left.
func noSeeders(t *testing.T, h *harness) {
	t.Helper()
	seeders, err := h.cli.ContainerList(context.Background(), client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", policy.LabelPrefix+"seed")})
	if err != nil || len(seeders.Items) != 0 {
		t.Errorf("seeding containers left: %v, %v", seeders.Items, err)
	}
}

// TestFailedUpRemovesSeededVolumes: a first up that fails after seeding
// (its container cannot start) removes the volumes it seeded, like
// everything else it made.
func TestFailedUpRemovesSeededVolumes(t *testing.T) {
	h := setup(t)
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	compose := fmt.Sprintf("services:\n  web:\n    image: %s\n    command: [\"/no/such/program\"]\n    volumes: [\"./app:/code\", \"/srv/x:/x\"]\n", h.image)
	req := msg.StackUpRequest{Name: "shop", Compose: compose, Context: upload(t, h, alice.UserID, map[string]string{"app/index.html": "x"})}
	started, err := call[msg.JobStarted](t, h, alice, subjects.StackUp, req)
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	evs := finish(t, h, started.Job.ID)
	if last := evs[len(evs)-1]; last.Type == msg.JobEventDone {
		t.Fatal("an up whose container cannot start succeeded")
	}
	if cs, ns, vs := owned(t, h, alice.UserID, "shop"); len(cs)+len(ns)+len(vs) != 0 {
		t.Errorf("the failed up left containers %v networks %v volumes %v", cs, ns, vs)
	}
	noSeeders(t, h)
}
