package registrytest_test

import (
	"context"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/registrytest"
)

// TestPushThenPull pushes a freshly built image, removes it locally and
// pulls it back from the registry: the engine really talks to it.
func TestPushThenPull(t *testing.T) {
	cli := dockertest.Client(t)
	reg := registrytest.Start(t)
	src := registrytest.BuildLayered(t, cli, "dockeronline-test/registrytest:"+time.Now().Format("150405.000000"), 2, 64<<10)
	ref := reg.Push(t, cli, src, "registrytest/app:1")
	if ref != reg.Host+"/registrytest/app:1" {
		t.Fatalf("ref = %q", ref)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	before, err := cli.ImageInspect(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	registrytest.RemoveLocal(t, cli, ref)
	registrytest.RemoveLocal(t, cli, src)
	if _, err := cli.ImageInspect(ctx, ref); err == nil {
		t.Fatalf("%s is still present locally", ref)
	}
	res, err := cli.ImagePull(ctx, ref, client.ImagePullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Wait(ctx); err != nil {
		t.Fatalf("pull %s: %v", ref, err)
	}
	after, err := cli.ImageInspect(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if after.ID != before.ID {
		t.Errorf("pulled image %s, pushed %s", after.ID, before.ID)
	}
}
