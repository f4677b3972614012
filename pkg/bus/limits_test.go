package bus_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
)

// TestOversizedRequestsAreRefused: on a server with the production
// max_payload (8 MB), a body over bus.MaxRequestBytes is refused by the
// decoder before the endpoint sees it, and one over max_payload never
// leaves the client. A body under the bound is served.
func TestOversizedRequestsAreRefused(t *testing.T) {
	srv := natstest.ServerWith(t, func(o *server.Options) { o.MaxPayload = 8 << 20 })
	nc := natstest.Connect(t, srv)
	var served atomic.Int32
	ep := func(context.Context, any) (any, error) { served.Add(1); return msg.Reply[msg.Empty]{}, nil }
	if _, err := bus.Serve(nc, "q", 2, bus.Handlers{"test.big": bus.NewSubscriber[echoReq](ep)}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		size   int
		served bool
		check  func(error) bool
	}{
		{name: "under the bound", size: 512 << 10, served: true, check: func(err error) bool { return err == nil }},
		{name: "over the decoder's bound", size: bus.MaxRequestBytes + 1, check: func(err error) bool {
			var ae *apierr.Error
			return errors.As(err, &ae) && ae.Code == apierr.CodeInvalid && strings.Contains(ae.Message, "more than")
		}},
		{name: "10 MB, over max_payload", size: 10 << 20, check: func(err error) bool { return errors.Is(err, nats.ErrMaxPayload) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := served.Load()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := bus.Request[msg.Empty](ctx, nc, "test.big", echoReq{Text: strings.Repeat("x", c.size)})
			if !c.check(err) {
				t.Fatalf("got %v", err)
			}
			if got := served.Load() > before; got != c.served {
				t.Errorf("endpoint reached: %v, want %v", got, c.served)
			}
		})
	}
}
