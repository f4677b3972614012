// Package provision is the provisioner service: it turns evt.user.created
// and evt.user.deleted into Linux accounts on the Docker host (consumer.go),
// records each account's state, publishes evt.provision.*, and serves
// cmd.provisioner.status and cmd.provisioner.retry (service.go and the
// go-kit layers around it).
package provision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/provisioner/hostaccount"
	"github.com/dockeronline/platform/services/provisioner/sshclient"
	"github.com/dockeronline/platform/services/provisioner/store"
)

// DisabledReason is the reason recorded while provisioning is off.
const DisabledReason = "provisioning is disabled (PROVISION_ENABLED=false); the account will be made when it is enabled"

// Accounts is what the provisioner needs of the host: *hostaccount.Manager.
type Accounts interface {
	Ensure(ctx context.Context, userID, username string) error
	Remove(ctx context.Context, userID, username string) error
}

// job is one operation on one user's account.
type job struct {
	UserID   string
	Username string
	Op       msg.ProvisionOperation
	EventID  string // the event that asked for it (or an admin's retry)
	// Final: this is the last attempt allowed; a failure that could be
	// retried is recorded as failed instead.
	Final bool
}

// outcome says what to do with the work after an attempt.
type outcome int

const (
	outcomeDone     outcome = iota // finished: ready, removed, disabled, or nothing to do
	outcomeParked                  // failed for good: a person must act
	outcomeRetry                   // failed, worth another attempt later
	outcomeHostDown                // the host could not be reached: wait for it
)

func (o outcome) String() string {
	return [...]string{"done", "parked", "retry", "host-down"}[o]
}

// result is where an attempt left the account.
type result struct {
	outcome outcome
	account store.Account // zero when no row could be written
	reason  string        // why it is parked, retried or waiting
	cause   error
}

// core applies jobs: one attempt each, under the user's lock, recording the
// state and publishing the outcome. Everything else (retrying, waiting for
// the host) is up to its callers.
type core struct {
	store    *store.Store
	accounts Accounts
	js       jetstream.JetStream
	enabled  bool
	log      *slog.Logger
}

// apply makes one attempt at j. The error is an infrastructure failure
// (database, bus) after which the whole job must be tried again.
func (c *core) apply(ctx context.Context, j job) (result, error) {
	unlock, err := c.store.LockUser(ctx, j.UserID)
	if err != nil {
		return result{}, err
	}
	defer unlock()

	cur, found, err := c.store.Get(ctx, j.UserID)
	if err != nil {
		return result{}, err
	}
	if found && j.Op == msg.ProvisionCreate && cur.Operation == msg.ProvisionDelete {
		// Platform user ids are never reused: a deleted user stays deleted,
		// whatever order the events arrive in.
		c.log.InfoContext(ctx, "creation of a deleted user ignored", "user_id", j.UserID, "event_id", j.EventID)
		return result{outcome: outcomeDone, account: cur}, nil
	}
	if found && cur.LastEventID == j.EventID {
		if r, done := repeated(cur); done {
			// Publish again: a previous attempt may have recorded the
			// state and died before publishing (the bus de-duplicates).
			return r, c.publish(ctx, r.account, j.EventID)
		}
	}
	if !c.enabled {
		a, err := c.store.Record(ctx, j.UserID, j.Username, j.Op, j.EventID, msg.ProvisionDisabled, DisabledReason)
		return result{outcome: outcomeDone, account: a}, err
	}

	a, err := c.store.Begin(ctx, j.UserID, j.Username, j.Op, j.EventID)
	if errors.Is(err, store.ErrUsernameHeld) {
		return c.usernameHeld(ctx, j, err)
	}
	if err != nil {
		return result{}, err
	}

	if j.Op == msg.ProvisionDelete {
		err = c.accounts.Remove(ctx, j.UserID, j.Username)
	} else {
		err = c.accounts.Ensure(ctx, j.UserID, j.Username)
	}
	return c.record(ctx, j, a, err)
}

// repeated recognises a repeat of the event whose work is finished: the
// state it reached stands, nothing is done again.
func repeated(cur store.Account) (result, bool) {
	switch cur.State {
	case msg.ProvisionReady, msg.ProvisionRemoved:
		return result{outcome: outcomeDone, account: cur}, true
	case msg.ProvisionFailed:
		return result{outcome: outcomeParked, account: cur, reason: cur.Reason}, true
	}
	return result{}, false
}

// record turns the host's answer into the account's state.
func (c *core) record(ctx context.Context, j job, a store.Account, opErr error) (result, error) {
	var r result
	switch {
	case opErr == nil:
		state := msg.ProvisionReady
		if j.Op == msg.ProvisionDelete {
			state = msg.ProvisionRemoved
		}
		r = result{outcome: outcomeDone}
		a, opErr = c.store.Finish(ctx, j.UserID, state, "")
		if opErr != nil {
			return result{}, opErr
		}
		r.account = a
		return r, c.publish(ctx, a, j.EventID)
	case hostaccount.Permanent(opErr):
		r = result{outcome: outcomeParked, reason: opErr.Error(), cause: opErr}
	case sshclient.IsConnError(opErr):
		r = result{outcome: outcomeHostDown, reason: "waiting for the host: " + opErr.Error(), cause: opErr}
	case j.Final:
		r = result{outcome: outcomeParked, reason: fmt.Sprintf("gave up after %d attempts: %v", a.Attempts, opErr), cause: opErr}
	default:
		r = result{outcome: outcomeRetry, reason: fmt.Sprintf("attempt %d failed, will retry: %v", a.Attempts, opErr), cause: opErr}
	}
	state := msg.ProvisionPending
	if r.outcome == outcomeParked {
		state = msg.ProvisionFailed
	}
	a, err := c.store.Finish(ctx, j.UserID, state, r.reason)
	if err != nil {
		return result{}, err
	}
	r.account = a
	c.log.WarnContext(ctx, "provisioning attempt failed", "user_id", j.UserID, "username", j.Username,
		"op", j.Op, "attempt", a.Attempts, "outcome", r.outcome.String(), "err", opErr)
	if r.outcome == outcomeParked {
		return r, c.publish(ctx, a, j.EventID)
	}
	return r, nil
}

// giveUp marks the account failed when the consumer stops retrying an
// event between attempts (the host kept failing right after answering its
// probe, the database kept failing): the row must not stay pending with no
// message behind it.
func (c *core) giveUp(ctx context.Context, j job, reason string) error {
	if j.UserID == "" {
		return nil
	}
	unlock, err := c.store.LockUser(ctx, j.UserID)
	if err != nil {
		return err
	}
	defer unlock()
	cur, found, err := c.store.Get(ctx, j.UserID)
	if err != nil || !found || cur.LastEventID != j.EventID || cur.State != msg.ProvisionPending {
		return err
	}
	a, err := c.store.Finish(ctx, j.UserID, msg.ProvisionFailed, reason)
	if err != nil {
		return err
	}
	return c.publish(ctx, a, j.EventID)
}

// usernameHeld: another user's live row holds the name, most likely a
// deleted user whose removal is still to come. Worth retrying; at the end,
// there is no row of this user to mark, so the event alone says it failed.
func (c *core) usernameHeld(ctx context.Context, j job, err error) (result, error) {
	if !j.Final {
		return result{outcome: outcomeRetry, reason: err.Error(), cause: err}, nil
	}
	a := store.Account{UserID: j.UserID, Username: j.Username, Operation: j.Op, State: msg.ProvisionFailed,
		Reason: "gave up: " + err.Error()}
	return result{outcome: outcomeParked, account: a, reason: a.Reason, cause: err}, c.publish(ctx, a, j.EventID)
}

// publish announces the account's state on evt.provision.*; pending and
// disabled are not announced. The event id is the cause's id and the
// state, so re-publishing the same transition is de-duplicated.
func (c *core) publish(ctx context.Context, a store.Account, causeID string) error {
	var subject string
	switch a.State {
	case msg.ProvisionReady:
		subject = subjects.ProvisionReady
	case msg.ProvisionFailed:
		subject = subjects.ProvisionFailed
	case msg.ProvisionRemoved:
		subject = subjects.ProvisionRemoved
	default:
		return nil
	}
	id := causeID + "." + string(a.State)
	return bus.PublishEvent(ctx, c.js, subject, id, msg.ProvisionEvent{EventID: id, UserID: a.UserID,
		Username: a.Username, State: a.State, Reason: a.Reason, Attempts: a.Attempts})
}
