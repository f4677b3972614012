package dockertest

import (
	"context"
	"testing"
)

func TestBusyboxImageBuildsAndIsReused(t *testing.T) {
	cli := Client(t)
	tag := BusyboxImage(t, cli)
	insp, err := cli.ImageInspect(context.Background(), tag)
	if err != nil {
		t.Fatalf("inspect %s: %v", tag, err)
	}
	if again := BusyboxImage(t, cli); again != tag {
		t.Fatalf("second call gave %q", again)
	}
	if insp.ID == "" {
		t.Fatal("image has no id")
	}
}
