package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/pkg/testenv"
	"github.com/dockeronline/platform/services/provisioner/provision"
	"github.com/dockeronline/platform/services/provisioner/provisionertest"
)

// deadline bounds every wait: generous, since the machine may be busy.
const deadline = 90 * time.Second

var admin = identity.Caller{UserID: "admin-1", Username: "theadmin", Role: identity.RoleAdmin}

// world is what a provisioner test runs against: real NATS with
// JetStream, a fresh Postgres database, and (when asked) a test SSH host.
type world struct {
	t       *testing.T
	natsURL string
	nc      *nats.Conn
	js      jetstream.JetStream
	dsn     string
	host    *provisionertest.Host
	events  *eventLog
}

func newWorld(t *testing.T, withHost bool) *world {
	t.Helper()
	srv := natstest.Server(t)
	w := &world{t: t, natsURL: srv.ClientURL(), nc: natstest.Connect(t, srv), dsn: testenv.Postgres(t)}
	var err error
	if w.js, err = jetstream.New(w.nc); err != nil {
		t.Fatal(err)
	}
	if _, err := bus.EnsureEventsStream(context.Background(), w.js); err != nil {
		t.Fatal(err)
	}
	w.events = listen(t, w.js)
	if withHost {
		w.host = provisionertest.StartHost(t)
	}
	return w
}

// start runs a provisioner against the world's host, with extra settings.
func (w *world) start(extra map[string]string) *provisionertest.Instance {
	w.t.Helper()
	env := map[string]string{}
	if w.host != nil {
		env = provisionertest.HostEnv(w.host)
	}
	for k, v := range extra {
		env[k] = v
	}
	return provisionertest.Start(w.t, w.natsURL, w.dsn, env)
}

// userEvent publishes evt.user.created or evt.user.deleted as auth does.
func (w *world) userEvent(subject, eventID, userID, username string) {
	w.t.Helper()
	ev := msg.UserEvent{EventID: eventID, UserID: userID, Username: username, Email: username + "@example.com"}
	if err := bus.PublishEvent(context.Background(), w.js, subject, eventID, ev); err != nil {
		w.t.Fatal(err)
	}
}

// created publishes a creation with a fresh event id.
func (w *world) created(userID, username string) {
	w.t.Helper()
	w.userEvent(subjects.UserCreated, "created-"+userID+"-"+fmt.Sprint(time.Now().UnixNano()), userID, username)
}

// waitIdle waits until the provisioner's consumer has settled every user
// event published so far: none pending, none awaiting an ack.
func (w *world) waitIdle() {
	w.t.Helper()
	w.poll("the consumer to settle every event", func() (bool, string) {
		c, err := w.js.Consumer(context.Background(), subjects.EventsStream, provision.ConsumerName)
		if err != nil {
			return false, err.Error()
		}
		info, err := c.Info(context.Background())
		if err != nil {
			return false, err.Error()
		}
		return info.NumPending == 0 && info.NumAckPending == 0,
			fmt.Sprintf("pending %d, awaiting ack %d", info.NumPending, info.NumAckPending)
	})
}

// stored counts the messages the EVENTS stream holds on subject.
func (w *world) stored(subject string) uint64 {
	w.t.Helper()
	s, err := w.js.Stream(context.Background(), subjects.EventsStream)
	if err != nil {
		w.t.Fatal(err)
	}
	info, err := s.Info(context.Background(), jetstream.WithSubjectFilter(subject))
	if err != nil {
		w.t.Fatal(err)
	}
	return info.State.Subjects[subject]
}

// status asks cmd.provisioner.status as caller.
func (w *world) status(caller identity.Caller, req msg.ProvisionStatusRequest) (msg.ProvisionStatus, error) {
	ctx := identity.With(context.Background(), caller)
	return bus.Request[msg.ProvisionStatus](ctx, w.nc, subjects.ProvisionerStatus, req)
}

func (w *world) retry(caller identity.Caller, userID string) (msg.LinuxAccount, error) {
	ctx, cancel := context.WithTimeout(identity.With(context.Background(), caller), time.Minute)
	defer cancel()
	return bus.Request[msg.LinuxAccount](ctx, w.nc, subjects.ProvisionerRetry, msg.ProvisionRetryRequest{UserID: userID})
}

// account returns the user's account as an admin sees it.
func (w *world) account(userID string) (msg.LinuxAccount, bool) {
	w.t.Helper()
	st, err := w.status(admin, msg.ProvisionStatusRequest{UserIDs: []string{userID}})
	if err != nil {
		w.t.Fatal(err)
	}
	if len(st.Accounts) == 0 {
		return msg.LinuxAccount{}, false
	}
	return st.Accounts[0], true
}

// waitState waits for the user's account to reach state.
func (w *world) waitState(userID string, state msg.ProvisionState) msg.LinuxAccount {
	w.t.Helper()
	var a msg.LinuxAccount
	w.poll(fmt.Sprintf("account of %s to be %s", userID, state), func() (bool, string) {
		var found bool
		a, found = w.account(userID)
		return found && a.State == state, fmt.Sprintf("%+v", a)
	})
	return a
}

// poll calls cond until it holds, failing the test after the deadline with
// cond's last description of what it saw.
func (w *world) poll(what string, cond func() (bool, string)) {
	w.t.Helper()
	end := time.Now().Add(deadline)
	for {
		ok, seen := cond()
		if ok {
			return
		}
		if time.Now().After(end) {
			w.t.Fatalf("gave up waiting for %s after %v; last seen: %s", what, deadline, seen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// entries are the host's passwd lines of username.
func (w *world) entries(username string) []string { return w.host.Entries(username) }

// eventLog collects every evt.provision.* message.
type eventLog struct {
	mu     sync.Mutex
	events []received
}

type received struct {
	subject string
	ev      msg.ProvisionEvent
}

// listen reads evt.provision.* from the EVENTS stream (not core NATS: a
// re-published event, de-duplicated by the stream, must count once).
func listen(t *testing.T, js jetstream.JetStream) *eventLog {
	t.Helper()
	l := &eventLog{}
	c, err := js.OrderedConsumer(context.Background(), subjects.EventsStream,
		jetstream.OrderedConsumerConfig{FilterSubjects: []string{subjects.ProvisionEventsAll}})
	if err != nil {
		t.Fatal(err)
	}
	cc, err := c.Consume(func(m jetstream.Msg) {
		var ev msg.ProvisionEvent
		if err := json.Unmarshal(m.Data(), &ev); err != nil {
			t.Errorf("undecodable %s: %v", m.Subject(), err)
			return
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		l.events = append(l.events, received{m.Subject(), ev})
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cc.Stop)
	return l
}

// of returns the events on subject about userID.
func (l *eventLog) of(subject, userID string) []msg.ProvisionEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []msg.ProvisionEvent
	for _, r := range l.events {
		if r.subject == subject && r.ev.UserID == userID {
			out = append(out, r.ev)
		}
	}
	return out
}

// waitEvent waits for an event on subject about userID and returns it.
func (w *world) waitEvent(subject, userID string) msg.ProvisionEvent {
	w.t.Helper()
	var got []msg.ProvisionEvent
	w.poll(subject+" for "+userID, func() (bool, string) {
		got = w.events.of(subject, userID)
		return len(got) > 0, fmt.Sprintf("%d events", len(got))
	})
	return got[0]
}

// managedLines counts the host's accounts carrying our marker.
func (w *world) managedLines() int {
	n := 0
	for _, line := range strings.Split(w.host.Passwd(), "\n") {
		if f := strings.Split(line, ":"); len(f) == 7 && strings.HasPrefix(f[4], "dockeronline/") {
			n++
		}
	}
	return n
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
