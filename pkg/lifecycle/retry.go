package lifecycle

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Retry runs fn until it succeeds or ctx ends, backing off from 100ms to 5s.
// Services use it for dependencies that may start after them (Postgres,
// NATS streams), so start order never matters.
func Retry(ctx context.Context, log *slog.Logger, what string, fn func() error) error {
	wait := 100 * time.Millisecond
	for {
		err := fn()
		if err == nil {
			return nil
		}
		log.WarnContext(ctx, what+" failed; retrying", "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, err)
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
}
