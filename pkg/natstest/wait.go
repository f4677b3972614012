package natstest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
)

// WaitServing polls subject with req until some service answers (any reply,
// even a refusal, means it serves), failing the test after 30s. Services
// subscribe only once their dependencies are up, so tests wait on this.
func WaitServing(t testing.TB, natsURL, subject string, req any) {
	t.Helper()
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx := identity.With(context.Background(), identity.Caller{UserID: "probe", Username: "probe", Role: identity.RoleUser})
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := bus.Request[msg.Empty](ctx, nc, subject, req)
		if e := apierr.From(err); e == nil || e.Code != apierr.CodeUnavailable {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing serves %s after 30s: %v", subject, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
