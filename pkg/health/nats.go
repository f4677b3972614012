package health

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
)

// NATS is ready while the connection is connected.
func NATS(nc *nats.Conn) Check {
	return func(context.Context) error {
		if s := nc.Status(); s != nats.CONNECTED {
			return fmt.Errorf("nats is %s", s)
		}
		return nil
	}
}
