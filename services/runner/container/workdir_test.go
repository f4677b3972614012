package container_test

import (
	"context"
	"testing"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/runner/policy"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// TestImageWorkdirUnderProcIsRefused: an image whose WORKDIR is under
// /proc (Leaky Vessels, from a pulled or built image) does not start
// there: the create is refused unless the container names its own
// working directory; nothing is created.
func TestImageWorkdirUnderProcIsRefused(t *testing.T) {
	h := setup(t)
	u := runnertest.NewUser(t, h.cli, identity.RoleUser)
	img := "dockeronline-test/wdproc-" + u.Username + ":latest"
	dockertest.BuildImage(t, h.cli, img, map[string][]byte{"Dockerfile": []byte("FROM " + h.image + "\nWORKDIR /proc/self/fd/8\n")})
	t.Cleanup(func() { _, _ = h.cli.ImageRemove(context.Background(), img, client.ImageRemoveOptions{Force: true}) })

	_, err := call[msg.Container](h, u, subjects.ContainerCreate, msg.ContainerCreate{Spec: sleeper("leaky", img)})
	if e := apierr.From(err); e == nil || e.Rule != policy.RuleProcWorkdir {
		t.Fatalf("image WORKDIR /proc/self/fd/8: %v", err)
	}
	cs, err := h.cli.ContainerList(context.Background(), client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", policy.LabelOwner+"="+u.UserID)})
	if err != nil || len(cs.Items) != 0 {
		t.Fatalf("a refused create left %d containers (%v)", len(cs.Items), err)
	}
	spec := sleeper("safe", img)
	spec.WorkingDir = "/tmp"
	if _, err := call[msg.Container](h, u, subjects.ContainerCreate, msg.ContainerCreate{Spec: spec}); err != nil {
		t.Fatalf("the same image with its own working directory: %v", err)
	}
}

// TestImageHealthcheckIsBounded: an image whose HEALTHCHECK runs every
// millisecond (each check an exec outside the container's limits) is
// refused.
func TestImageHealthcheckIsBounded(t *testing.T) {
	h := setup(t)
	u := runnertest.NewUser(t, h.cli, identity.RoleUser)
	img := "dockeronline-test/health-" + u.Username + ":latest"
	dockertest.BuildImage(t, h.cli, img, map[string][]byte{"Dockerfile": []byte("FROM " + h.image + "\nHEALTHCHECK --interval=1ms CMD true\n")})
	t.Cleanup(func() { _, _ = h.cli.ImageRemove(context.Background(), img, client.ImageRemoveOptions{Force: true}) })
	_, err := call[msg.Container](h, u, subjects.ContainerCreate, msg.ContainerCreate{Spec: sleeper("hc", img)})
	if e := apierr.From(err); e == nil || e.Rule != policy.RuleHealthcheck {
		t.Fatalf("image HEALTHCHECK every 1 ms: %v", err)
	}
}
