package events

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/policy"
)

// volumeOwners remembers who owns each platform volume. Docker's volume
// events carry no labels (a destroyed volume cannot be inspected either),
// so the owner is learnt at resync and on create.
type volumeOwners struct {
	mu sync.Mutex
	m  map[string]msg.VolumeEvent // by Docker name; Action/Time/EventID unset
}

func (v *volumeOwners) put(e msg.VolumeEvent) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil {
		v.m = map[string]msg.VolumeEvent{}
	}
	v.m[e.DockerName] = e
}

func (v *volumeOwners) take(dockerName string) (msg.VolumeEvent, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.m[dockerName]
	delete(v.m, dockerName)
	return e, ok
}

func (v *volumeOwners) get(dockerName string) (msg.VolumeEvent, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.m[dockerName]
	return e, ok
}

// volumeEvents subscribes to Docker's volume events (all of them: the
// label filter does not apply to volumes).
func (f *Follower) volumeEvents(ctx context.Context) client.EventsResult {
	return f.docker.Events(ctx, client.EventsListOptions{Filters: make(client.Filters).
		Add("type", string(events.VolumeEventType))})
}

// learnVolumes records the owner of every platform volume (resync).
func (f *Follower) learnVolumes(ctx context.Context) error {
	vs, err := engine.ListVolumes(ctx, f.docker, "")
	if err != nil {
		return err
	}
	for _, v := range vs {
		f.volumes.put(volumeOf(v.Name, v.Labels))
	}
	return nil
}

func volumeOf(dockerName string, labels map[string]string) msg.VolumeEvent {
	return msg.VolumeEvent{DockerName: dockerName, Name: labels[policy.LabelName],
		Owner: labels[policy.LabelOwner], Username: labels[policy.LabelUsername]}
}

// handleVolume publishes evt.volume.<action> for a platform volume.
func (f *Follower) handleVolume(ctx context.Context, m events.Message) error {
	action := string(m.Action)
	dockerName := m.Actor.ID
	if _, _, ok := names.SplitDocker(dockerName); !ok {
		return nil // not a platform name
	}
	var ev msg.VolumeEvent
	var known bool
	switch action {
	case "create":
		res, err := f.docker.VolumeInspect(ctx, dockerName, client.VolumeInspectOptions{})
		if err != nil {
			return nil // gone already: its destroy event follows
		}
		ev, known = volumeOf(dockerName, res.Volume.Labels), true
		f.volumes.put(ev)
	case "destroy":
		ev, known = f.volumes.take(dockerName)
	case "mount", "unmount":
		ev, known = f.volumes.get(dockerName)
	default:
		return nil
	}
	if !known || ev.Owner == "" {
		return nil
	}
	ev.Action = action
	ev.Time = time.Unix(0, m.TimeNano).UTC()
	ev.EventID = fmt.Sprintf("volume:%s:%s:%d", dockerName, action, m.TimeNano)
	return bus.PublishEvent(ctx, f.js, subjects.VolumeEvent(action), ev.EventID, ev)
}
