package provision

import "context"

// sweep periodically drives the accounts no event drives any more (see
// store.NeedingWork): those recorded while provisioning was disabled, and
// pending ones whose attempt was cut short. It runs once at start.
func (p *Provisioner) sweep(ctx context.Context) {
	for ctx.Err() == nil {
		accounts, err := p.core.store.NeedingWork(ctx, p.opts.StaleAfter)
		if err != nil {
			p.core.log.WarnContext(ctx, "sweep: listing accounts failed", "err", err)
		}
		for _, a := range accounts {
			if ctx.Err() != nil {
				return
			}
			p.core.log.InfoContext(ctx, "sweep: resuming account", "user_id", a.UserID, "username", a.Username, "state", a.State)
			p.runInProcess(ctx, job{UserID: a.UserID, Username: a.Username, Op: a.Operation, EventID: a.LastEventID})
		}
		sleep(ctx, p.opts.SweepEvery)
	}
}

// runInProcess drives a job that no JetStream message carries (a sweep, an
// admin's retry going on in the background) the way the consumer drives
// messages: backoff between failed attempts, the gate while the host is
// down, at most MaxDeliver attempts. A job still pending after those is
// left for the next sweep.
func (p *Provisioner) runInProcess(ctx context.Context, j job) {
	for attempt := 1; attempt <= p.opts.MaxDeliver && ctx.Err() == nil; attempt++ {
		j.Final = attempt == p.opts.MaxDeliver
		opCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opTimeout)
		r, err := p.core.apply(opCtx, j)
		cancel()
		switch {
		case err != nil:
			p.core.log.WarnContext(ctx, "provisioning could not record its work", "user_id", j.UserID, "err", err)
			sleep(ctx, p.opts.Retry.Delay(attempt))
		case r.outcome == outcomeDone || r.outcome == outcomeParked:
			return
		case r.outcome == outcomeRetry:
			sleep(ctx, p.opts.Retry.Delay(attempt))
		case r.outcome == outcomeHostDown:
			p.gate.Trip(ctx, r.cause)
			if p.gate.Wait(ctx) != nil {
				return
			}
		}
	}
}
