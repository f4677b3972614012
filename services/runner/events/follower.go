// Package events follows the Docker engine's event stream and publishes
// every change to a platform container (evt.container.<action>) and volume
// (evt.volume.<action>) on JetStream,
// so changes made outside the platform (a crash, an OOM kill, a CLI user on
// the host) are seen by the proxy, the UI and anyone else. After a gap in
// the stream (start, reconnect) it re-publishes the state of every platform
// container ("sync") so consumers converge on what Docker really has.
package events

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/policy"
)

// relevant are the container actions worth telling the platform about.
var relevant = map[string]bool{
	"create": true, "start": true, "restart": true, "stop": true, "die": true,
	"pause": true, "unpause": true, "destroy": true, "oom": true, "rename": true,
	"connect": true, "disconnect": true,
}

// ActionSync marks a state re-published after a gap in the event stream;
// ActionSnapshot the list of existing containers that closes a resync.
const (
	ActionSync     = "sync"
	ActionSnapshot = "snapshot"
)

// Follower publishes Docker's container events.
type Follower struct {
	docker *client.Client
	js     jetstream.JetStream
	log    *slog.Logger
	// volumes remembers volume owners for volume events, which carry none.
	volumes volumeOwners
	// Ready, if set, is called each time the follower is subscribed and has
	// re-published the current state.
	Ready func()
}

// NewFollower returns a follower.
func NewFollower(docker *client.Client, js jetstream.JetStream, log *slog.Logger) *Follower {
	return &Follower{docker: docker, js: js, log: log}
}

// Run follows until ctx ends, reconnecting with backoff.
func (f *Follower) Run(ctx context.Context) error {
	backoff := 250 * time.Millisecond
	for {
		err := f.follow(ctx)
		if ctx.Err() != nil {
			return nil
		}
		f.log.WarnContext(ctx, "docker event stream interrupted; will resync", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

func (f *Follower) follow(ctx context.Context) error {
	if _, err := bus.EnsureEventsStream(ctx, f.js); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Subscribe first, then resync: an event during the resync is seen twice
	// rather than never.
	res := f.docker.Events(ctx, client.EventsListOptions{Filters: make(client.Filters).
		Add("type", string(events.ContainerEventType), string(events.NetworkEventType)).
		Add("label", policy.LabelOwner)})
	vres := f.volumeEvents(ctx)
	if err := f.learnVolumes(ctx); err != nil {
		return err
	}
	if err := f.resync(ctx); err != nil {
		return err
	}
	if f.Ready != nil {
		f.Ready()
	}
	for {
		select {
		case m := <-res.Messages:
			if err := f.handle(ctx, m); err != nil {
				return err
			}
		case m := <-vres.Messages:
			if err := f.handleVolume(ctx, m); err != nil {
				return err
			}
		case err := <-res.Err:
			if err == nil {
				return fmt.Errorf("docker event stream closed")
			}
			return err
		case err := <-vres.Err:
			if err == nil {
				return fmt.Errorf("docker volume event stream closed")
			}
			return err
		}
	}
}

// resync re-publishes every platform container's state, then a snapshot
// of which containers exist, so consumers converge: states they missed are
// corrected and containers destroyed during the gap are dropped.
func (f *Follower) resync(ctx context.Context) error {
	items, err := engine.ListContainers(ctx, f.docker, "")
	if err != nil {
		return err
	}
	snap := msg.ContainerSnapshot{IDs: make([]string, 0, len(items)), Time: time.Now().UTC()}
	for _, it := range items {
		if err := f.publish(ctx, ActionSync, it.ID, 0, nil); err != nil {
			return err
		}
		snap.IDs = append(snap.IDs, it.ID)
	}
	snap.EventID = fmt.Sprintf("snapshot:%d", snap.Time.UnixNano())
	return bus.PublishEvent(ctx, f.js, subjects.ContainerEvent(ActionSnapshot), snap.EventID, snap)
}

func (f *Follower) handle(ctx context.Context, m events.Message) error {
	action, _, _ := strings.Cut(string(m.Action), ":")
	if !relevant[action] {
		return nil
	}
	id := m.Actor.ID
	if m.Type == events.NetworkEventType {
		id = m.Actor.Attributes["container"]
		if id == "" {
			return nil
		}
	}
	return f.publish(ctx, action, id, m.TimeNano, m.Actor.Attributes)
}

// publish builds the event from an inspect of the container (or, once it is
// destroyed, from the event's attributes) and publishes it; the event id
// makes a re-publication a no-op within JetStream's duplicate window.
func (f *Follower) publish(ctx context.Context, action, id string, timeNano int64, attrs map[string]string) error {
	ctx, span := otel.Tracer("runner/events").Start(ctx, "docker.event "+action)
	defer span.End()
	span.SetAttributes(attribute.String("container.id", id))

	ev := msg.ContainerEvent{Action: action, ID: id, Time: time.Unix(0, timeNano).UTC()}
	if timeNano == 0 {
		ev.Time = time.Now().UTC()
	}
	in, err := f.docker.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	var since string // distinguishes successive runs of one container
	switch {
	case err == nil:
		fill(&ev, in.Container)
		if st := in.Container.State; st != nil {
			since = st.StartedAt + "/" + st.FinishedAt
		}
	case action == "destroy" || isNotFound(err):
		// Gone: the event's attributes still carry its labels.
		ev.State = "removed"
		ev.Owner, ev.Username, ev.Name = attrs[policy.LabelOwner], attrs[policy.LabelUsername], attrs[policy.LabelName]
		ev.DockerName = attrs["name"]
		if action != "destroy" {
			ev.Action = "destroy"
		}
	default:
		return engine.FromDocker("inspect container "+id, err)
	}
	if ev.Owner == "" {
		return nil // not a platform container (e.g. a network event of a foreign one)
	}
	ev.EventID = fmt.Sprintf("%s:%s:%d", id, ev.Action, timeNano)
	if action == ActionSync {
		ev.EventID = fmt.Sprintf("%s:sync:%s:%s:%s", id, ev.State, ev.IP, since)
	}
	return bus.PublishEvent(ctx, f.js, subjects.ContainerEvent(ev.Action), ev.EventID, ev)
}

func fill(ev *msg.ContainerEvent, in engineInspect) {
	v := engine.FromInspect(in)
	ev.Owner, ev.Username, ev.Name, ev.DockerName = v.Owner, v.Username, v.Name, v.DockerName
	ev.State, ev.Ports = v.State, v.Ports
	if in.State != nil {
		ev.ExitCode = in.State.ExitCode
	}
	if in.Config != nil {
		ev.PrivateLink = in.Config.Labels[policy.LabelLink] == "private"
		if ip := engine.OwnerIP(in); ip.IsValid() {
			ev.IP = ip.String()
		}
	}
}
