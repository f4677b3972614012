package app_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/provisioner/sshdtest"
)

// The whole path: evt.user.created → the account exists on the host →
// evt.provision.ready; repeats change nothing; evt.user.deleted → gone →
// evt.provision.removed; a late creation does not bring the user back.
func TestUserLifecycleThroughEvents(t *testing.T) {
	w := newWorld(t, true)
	w.start(nil)
	alice := identity.Caller{UserID: "u-alice", Username: "alice", Role: identity.RoleUser}

	w.userEvent(subjects.UserCreated, "evt-1", alice.UserID, "alice")
	ready := w.waitEvent(subjects.ProvisionReady, alice.UserID)
	if ready.State != msg.ProvisionReady || ready.Username != "alice" || ready.Attempts != 1 || ready.EventID == "" {
		t.Errorf("ready event = %+v", ready)
	}
	lines := w.entries("alice")
	if len(lines) != 1 || !strings.Contains(lines[0], ":dockeronline/u-alice:/home/alice:/bin/bash") {
		t.Fatalf("host entries for alice = %q, want one marked dockeronline/u-alice", lines)
	}
	// The user sees their own account (GET /api/v1/me).
	st, err := w.status(alice, msg.ProvisionStatusRequest{})
	if err != nil || len(st.Accounts) != 1 || st.Accounts[0].State != msg.ProvisionReady || st.Accounts[0].UpdatedAt.IsZero() {
		t.Fatalf("alice's status = %+v, %v", st, err)
	}

	// The same event again (as after a redelivery past the stream's
	// de-duplication window: another message id, the same event id), and a
	// second creation event for the same user.
	republish(t, w.js, subjects.UserCreated, "evt-1-again", msg.UserEvent{EventID: "evt-1", UserID: alice.UserID, Username: "alice"})
	w.userEvent(subjects.UserCreated, "evt-2", alice.UserID, "alice")
	w.waitIdle()
	if got := w.entries("alice"); len(got) != 1 || got[0] != lines[0] {
		t.Fatalf("after repeated creations, entries = %q, want exactly %q", got, lines[0])
	}
	if a, _ := w.account(alice.UserID); a.State != msg.ProvisionReady {
		t.Fatalf("after repeats, account = %+v", a)
	}

	w.userEvent(subjects.UserDeleted, "evt-3", alice.UserID, "alice")
	removed := w.waitEvent(subjects.ProvisionRemoved, alice.UserID)
	if removed.State != msg.ProvisionRemoved {
		t.Errorf("removed event = %+v", removed)
	}
	if got := w.entries("alice"); len(got) != 0 {
		t.Fatalf("after deletion, entries = %q", got)
	}
	if _, err := os.Stat(w.host.HomePath("alice")); !os.IsNotExist(err) {
		t.Errorf("home left after deletion: %v", err)
	}

	// A creation arriving after the deletion (out of order, replayed).
	w.userEvent(subjects.UserCreated, "evt-4", alice.UserID, "alice")
	w.userEvent(subjects.UserDeleted, "evt-3-again", alice.UserID, "alice") // deleting again is fine
	w.waitIdle()
	if got := w.entries("alice"); len(got) != 0 {
		t.Fatalf("a late creation brought a deleted user back: %q", got)
	}
	if a, _ := w.account(alice.UserID); a.State != msg.ProvisionRemoved {
		t.Fatalf("account after late events = %+v, want removed", a)
	}
	if n := w.stored(subjects.ProvisionReady); n != 2 {
		// evt-1 and evt-2 each announce ready once; the repeat of evt-1 is
		// de-duplicated by the stream.
		t.Errorf("%d ready events in the stream, want 2 (one per creation event)", n)
	}
}

// republish publishes payload under its own message id, bypassing the
// stream's de-duplication of the payload's event id.
func republish(t *testing.T, js jetstream.JetStream, subject, msgID string, payload msg.UserEvent) {
	t.Helper()
	m := nats.NewMsg(subject)
	m.Data = mustJSON(t, payload)
	if _, err := js.PublishMsg(context.Background(), m, jetstream.WithMsgID(msgID)); err != nil {
		t.Fatal(err)
	}
}

// An account that exists and is not ours is parked with a clear reason,
// left byte for byte as it was, and shown to admins; once a person has
// sorted it out, an admin's retry provisions it.
func TestForeignAccountIsParkedAndUntouched(t *testing.T) {
	w := newWorld(t, true)
	w.start(nil)
	w.host.Run("useradd", "--create-home", "--comment", "Bob, not from the platform", "bob")
	before := w.host.Passwd()

	w.userEvent(subjects.UserCreated, "evt-bob", "u-bob", "bob")
	failed := w.waitEvent(subjects.ProvisionFailed, "u-bob")
	const why = "host account exists and is not managed by Docker Online"
	if !strings.Contains(failed.Reason, why) {
		t.Errorf("failed event reason = %q, want it to say %q", failed.Reason, why)
	}
	a := w.waitState("u-bob", msg.ProvisionFailed)
	if !strings.Contains(a.Reason, why) {
		t.Errorf("account reason = %q", a.Reason)
	}
	w.waitIdle()
	if after := w.host.Passwd(); after != before {
		t.Fatalf("the foreign account was touched:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// Admins see the dead letter.
	st, err := w.status(admin, msg.ProvisionStatusRequest{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.DeadLetters) != 1 || st.DeadLetters[0].EventID != "evt-bob" || !strings.Contains(st.DeadLetters[0].Reason, why) {
		t.Fatalf("dead letters = %+v", st.DeadLetters)
	}

	// Retrying changes nothing while the account is still foreign.
	if a, err := w.retry(admin, "u-bob"); err != nil || a.State != msg.ProvisionFailed {
		t.Fatalf("retry of a still foreign account = %+v, %v; want failed", a, err)
	}
	if after := w.host.Passwd(); after != before {
		t.Fatal("a retry touched the foreign account")
	}
	// A person removes the foreign account; the retry now provisions.
	w.host.Run("userdel", "--remove", "bob")
	a, err = w.retry(admin, "u-bob")
	if err != nil || a.State != msg.ProvisionReady || a.Attempts != 1 {
		t.Fatalf("retry after the fix = %+v, %v; want ready after 1 attempt", a, err)
	}
	if got := w.entries("bob"); len(got) != 1 || !strings.Contains(got[0], "dockeronline/u-bob") {
		t.Fatalf("entries for bob = %q", got)
	}
	w.waitEvent(subjects.ProvisionReady, "u-bob")
}

// Hostile usernames are refused before any connection: the provisioner
// reaches the host through a proxy that counts connections, and it counts
// none until a valid user comes, which then uses one.
func TestInjectionInputsAreRefusedBeforeConnecting(t *testing.T) {
	w := newWorld(t, true)
	proxy, connections := sshdtest.CountingProxy(t, w.host.Addr)
	w.start(map[string]string{"SSH_ADDR": proxy, "SSH_KNOWN_HOSTS": w.host.KnownHostsFor(proxy)})

	hostile := []string{"a;id", "$(id)", "`id`", "-oProxyCommand=x", "a\nid", "evil name", strings.Repeat("x", 33), "root"}
	for i, name := range hostile {
		w.userEvent(subjects.UserCreated, fmt.Sprintf("evt-h%d", i), fmt.Sprintf("u-h%d", i), name)
	}
	for i, name := range hostile {
		a := w.waitState(fmt.Sprintf("u-h%d", i), msg.ProvisionFailed)
		if !strings.Contains(a.Reason, "refused before connecting") {
			t.Errorf("%q: reason = %q", name, a.Reason)
		}
	}
	w.waitIdle()
	if n := connections(); n != 0 {
		t.Fatalf("%d connections reached the host for refused names, want 0", n)
	}
	for _, name := range []string{"carol", "dave"} {
		w.created("u-"+name, name)
		w.waitState("u-"+name, msg.ProvisionReady)
	}
	if n := connections(); n != 1 {
		t.Fatalf("two valid users made %d connections, want 1 (reused)", n)
	}
}

// With the host key wrong, the connection fails before authentication:
// nothing runs, the account waits (pending, with the reason), and the
// provisioner reports the host as not ready.
func TestWrongHostKeyIsRefused(t *testing.T) {
	w := newWorld(t, true)
	impostor := sshdtest.Start(t)
	// known_hosts pins the impostor's key under the host's address.
	known := impostor.KnownHostsFor(w.host.Addr)
	w.start(map[string]string{"SSH_KNOWN_HOSTS": known})

	w.created("u-erin", "erin")
	var a msg.LinuxAccount
	w.poll("erin's account to wait for the host", func() (bool, string) {
		var ok bool
		a, ok = w.account("u-erin")
		return ok && a.State == msg.ProvisionPending && strings.Contains(a.Reason, "host key does not match"), fmt.Sprintf("%+v", a)
	})
	if got := w.entries("erin"); len(got) != 0 {
		t.Fatalf("an account was made through a wrong host key: %q", got)
	}
	if strings.Contains(w.host.Log(), "Accepted publickey") {
		t.Fatalf("the provisioner authenticated to a host it could not identify:\n%s", w.host.Log())
	}
}

// A command that fails is retried with backoff through JetStream
// redeliveries, and succeeds once the cause is gone.
func TestFailingCommandIsRedelivered(t *testing.T) {
	w := newWorld(t, true)
	w.start(nil)
	lock := w.host.EtcPath("passwd.lock") // useradd cannot lock /etc/passwd
	if err := os.WriteFile(lock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	w.created("u-frank", "frank")
	w.poll("frank's account to be retried", func() (bool, string) {
		a, ok := w.account("u-frank")
		return ok && a.State == msg.ProvisionPending && a.Attempts >= 3 && strings.Contains(a.Reason, "will retry"), fmt.Sprintf("%+v", a)
	})
	if err := os.Remove(lock); err != nil {
		t.Fatal(err)
	}
	// The third attempt may have been under way (and succeeded) when the
	// lock went: at least two failed attempts were redelivered.
	a := w.waitState("u-frank", msg.ProvisionReady)
	if a.Attempts < 3 {
		t.Errorf("attempts = %d, want at least 3", a.Attempts)
	}
	if got := w.entries("frank"); len(got) != 1 {
		t.Fatalf("entries for frank = %q", got)
	}
}

// An event that keeps failing is parked after PROVISION_MAX_DELIVER
// deliveries: failed, a dead letter, evt.provision.failed. An admin's retry
// provisions it once the cause is gone.
func TestEventIsParkedAfterMaxDeliveries(t *testing.T) {
	w := newWorld(t, true)
	w.start(map[string]string{"PROVISION_MAX_DELIVER": "3"})
	lock := w.host.EtcPath("passwd.lock")
	if err := os.WriteFile(lock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	w.userEvent(subjects.UserCreated, "evt-gina", "u-gina", "gina")
	ev := w.waitEvent(subjects.ProvisionFailed, "u-gina")
	if ev.Attempts != 3 || !strings.Contains(ev.Reason, "gave up after 3 attempts") {
		t.Errorf("failed event = %+v, want 3 attempts and the reason", ev)
	}
	w.waitIdle()
	st, err := w.status(admin, msg.ProvisionStatusRequest{All: true})
	if err != nil || len(st.DeadLetters) != 1 || st.DeadLetters[0].Deliveries != 3 || st.DeadLetters[0].UserID != "u-gina" {
		t.Fatalf("dead letters = %+v, %v", st.DeadLetters, err)
	}
	if err := os.Remove(lock); err != nil {
		t.Fatal(err)
	}
	if a, err := w.retry(admin, "u-gina"); err != nil || a.State != msg.ProvisionReady {
		t.Fatalf("retry = %+v, %v", a, err)
	}
	if got := w.entries("gina"); len(got) != 1 {
		t.Fatalf("entries for gina = %q", got)
	}
}

// The host goes down in the middle of a burst of 20 creations (killed with
// its open connections, commands in flight) and stays down while the
// provisioner probes it with backoff; then it comes back. Every account
// exists exactly once, nothing is lost, and the outage does not use up the
// events' deliveries (at most 3 here).
func TestHostDownDuringBurst(t *testing.T) {
	w := newWorld(t, true)
	proxy, connections := sshdtest.CountingProxy(t, w.host.Addr)
	w.start(map[string]string{"PROVISION_MAX_DELIVER": "3", "PROVISION_WORKERS": "4",
		"SSH_ADDR": proxy, "SSH_KNOWN_HOSTS": w.host.KnownHostsFor(proxy)})
	const n = 20
	user := func(i int) (string, string) { return fmt.Sprintf("u-burst%02d", i), fmt.Sprintf("burst%02d", i) }

	for i := range 5 {
		w.created(user(i))
	}
	w.poll("the first account of the burst", func() (bool, string) {
		return w.managedLines() > 0, "none yet"
	})
	w.host.Stop()
	down := connections()
	for i := 5; i < n; i++ {
		w.created(user(i))
	}
	// Stay down until the provisioner has tried the host a few more times
	// (each probe is a connection the proxy accepts and cannot forward).
	w.poll("probes of the host while it is down", func() (bool, string) {
		return connections() >= down+4, fmt.Sprintf("%d connection attempts since the stop", connections()-down)
	})
	w.poll("an account to wait for the host", func() (bool, string) {
		st, err := w.status(admin, msg.ProvisionStatusRequest{All: true})
		if err != nil {
			return false, err.Error()
		}
		for _, a := range st.Accounts {
			if a.State == msg.ProvisionPending && strings.Contains(a.Reason, "waiting for the host") {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", st.Accounts)
	})
	w.host.Start()

	for i := range n {
		id, _ := user(i)
		w.waitState(id, msg.ProvisionReady)
	}
	for i := range n {
		id, name := user(i)
		if got := w.entries(name); len(got) != 1 || !strings.Contains(got[0], "dockeronline/"+id) {
			t.Errorf("entries for %s = %q, want exactly one", name, got)
		}
	}
	if got := w.managedLines(); got != n {
		t.Errorf("%d managed accounts on the host, want %d", got, n)
	}
	w.waitIdle()
	st, err := w.status(admin, msg.ProvisionStatusRequest{All: true})
	if err != nil || len(st.DeadLetters) != 0 {
		t.Fatalf("dead letters after the outage = %+v, %v; want none", st.DeadLetters, err)
	}
}

// A host that completes the handshake (so its probe succeeds) but refuses
// every session is not held on for ever: each delivery tries a few times,
// the deliveries run out, the account is parked.
func TestHostThatAnswersButRunsNothingIsParked(t *testing.T) {
	w := newWorld(t, false)
	w.host = sshdtest.Start(t, "MaxSessions 0")
	w.start(map[string]string{"PROVISION_MAX_DELIVER": "2"})
	w.userEvent(subjects.UserCreated, "evt-lee", "u-lee", "lee")
	ev := w.waitEvent(subjects.ProvisionFailed, "u-lee")
	if !strings.Contains(ev.Reason, "gave up after 2 deliveries") {
		t.Errorf("failed event = %+v", ev)
	}
	a := w.waitState("u-lee", msg.ProvisionFailed)
	if a.Attempts < 4 {
		t.Errorf("attempts = %d, want at least 2 per delivery", a.Attempts)
	}
	w.waitIdle()
	st, err := w.status(admin, msg.ProvisionStatusRequest{All: true})
	if err != nil || len(st.DeadLetters) != 1 || st.DeadLetters[0].Deliveries != 2 {
		t.Fatalf("dead letters = %+v, %v", st.DeadLetters, err)
	}
	if got := w.entries("lee"); len(got) != 0 {
		t.Fatalf("entries for lee = %q", got)
	}
}

// With provisioning disabled, events are recorded as "disabled" and the
// host is left alone. Enabled again (a restart), the provisioner makes the
// recorded accounts, and catches up with events published while it was
// stopped: the consumer is durable.
func TestDisabledThenEnabledCatchesUp(t *testing.T) {
	w := newWorld(t, true)
	off := w.start(map[string]string{"PROVISION_ENABLED": "false"})
	w.created("u-hank", "hank")
	a := w.waitState("u-hank", msg.ProvisionDisabled)
	if !strings.Contains(a.Reason, "disabled") {
		t.Errorf("reason = %q", a.Reason)
	}
	w.waitIdle()
	if got := w.entries("hank"); len(got) != 0 {
		t.Fatalf("an account was made while disabled: %q", got)
	}
	if _, err := w.retry(admin, "u-hank"); apierr.From(err).Code != apierr.CodeUnavailable {
		t.Fatalf("retry while disabled: err = %v, want unavailable", err)
	}
	off.Stop()

	w.created("u-iris", "iris") // while no provisioner runs
	w.start(map[string]string{"PROVISION_SWEEP_EVERY": "100ms"})
	for _, u := range []string{"hank", "iris"} {
		w.waitState("u-"+u, msg.ProvisionReady)
		if got := w.entries(u); len(got) != 1 {
			t.Errorf("entries for %s = %q", u, got)
		}
	}
}

// Who may see and retry what.
func TestCommandsAreAuthorized(t *testing.T) {
	w := newWorld(t, true)
	w.start(nil)
	w.created("u-jane", "jane")
	w.created("u-kim", "kim")
	w.waitState("u-jane", msg.ProvisionReady)
	w.waitState("u-kim", msg.ProvisionReady)
	jane := identity.Caller{UserID: "u-jane", Username: "jane", Role: identity.RoleUser}
	tooMany := make([]string, 501)
	for i := range tooMany {
		tooMany[i] = fmt.Sprint(i)
	}

	tests := []struct {
		name      string
		caller    *identity.Caller
		req       msg.ProvisionStatusRequest
		wantCode  apierr.Code
		wantUsers []string
	}{
		{"own account", &jane, msg.ProvisionStatusRequest{}, "", []string{"jane"}},
		{"own account by id", &jane, msg.ProvisionStatusRequest{UserIDs: []string{"u-jane"}}, "", []string{"jane"}},
		{"someone else's", &jane, msg.ProvisionStatusRequest{UserIDs: []string{"u-kim"}}, apierr.CodeForbidden, nil},
		{"everyone's, as a user", &jane, msg.ProvisionStatusRequest{All: true}, apierr.CodeForbidden, nil},
		{"no caller", nil, msg.ProvisionStatusRequest{}, apierr.CodeUnauthenticated, nil},
		{"admin, some", &admin, msg.ProvisionStatusRequest{UserIDs: []string{"u-kim", "u-unknown"}}, "", []string{"kim"}},
		{"admin, all", &admin, msg.ProvisionStatusRequest{All: true}, "", []string{"jane", "kim"}},
		{"admin, too many", &admin, msg.ProvisionStatusRequest{UserIDs: tooMany}, apierr.CodeInvalid, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.caller != nil {
				ctx = identity.With(ctx, *tt.caller)
			}
			st, err := bus.Request[msg.ProvisionStatus](ctx, w.nc, subjects.ProvisionerStatus, tt.req)
			if tt.wantCode != "" {
				if got := apierr.From(err); got == nil || got.Code != tt.wantCode {
					t.Fatalf("err = %v, want %s", err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, a := range st.Accounts {
				names = append(names, a.Username)
			}
			if strings.Join(names, ",") != strings.Join(tt.wantUsers, ",") {
				t.Fatalf("accounts = %v, want %v", names, tt.wantUsers)
			}
		})
	}

	retries := []struct {
		name     string
		caller   identity.Caller
		userID   string
		wantCode apierr.Code
	}{
		{"by a user", jane, "u-jane", apierr.CodeForbidden},
		{"unknown user", admin, "u-nobody", apierr.CodeNotFound},
		{"no user id", admin, "", apierr.CodeInvalid},
	}
	for _, tt := range retries {
		t.Run("retry "+tt.name, func(t *testing.T) {
			_, err := w.retry(tt.caller, tt.userID)
			var ae *apierr.Error
			if !errors.As(err, &ae) || ae.Code != tt.wantCode {
				t.Fatalf("err = %v, want %s", err, tt.wantCode)
			}
		})
	}
	// An admin's retry of a ready account checks it again and keeps it.
	if a, err := w.retry(admin, "u-jane"); err != nil || a.State != msg.ProvisionReady {
		t.Fatalf("admin retry = %+v, %v", a, err)
	}
	if got := w.entries("jane"); len(got) != 1 {
		t.Fatalf("entries for jane = %q", got)
	}
}

// Undecodable events and events without ids are dead-lettered, not lost.
func TestMalformedEventsAreDeadLettered(t *testing.T) {
	w := newWorld(t, false)
	w.start(map[string]string{"PROVISION_ENABLED": "false"})
	m := nats.NewMsg(subjects.UserCreated)
	m.Data = []byte("{not json")
	if _, err := w.js.PublishMsg(context.Background(), m, jetstream.WithMsgID("bad-1")); err != nil {
		t.Fatal(err)
	}
	republish(t, w.js, subjects.UserCreated, "bad-2", msg.UserEvent{Username: "nobody"})
	w.waitIdle()
	st, err := w.status(admin, msg.ProvisionStatusRequest{All: true})
	if err != nil || len(st.DeadLetters) != 2 {
		t.Fatalf("dead letters = %+v, %v; want 2", st.DeadLetters, err)
	}
	for _, d := range st.DeadLetters {
		if d.Subject != subjects.UserCreated || d.Reason == "" {
			t.Errorf("dead letter = %+v", d)
		}
	}
}
