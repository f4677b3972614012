package volume

import (
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Handlers maps the volume subjects to their subscribers.
func Handlers(e Endpoints) bus.Handlers {
	s := subjects.RunnerRequestSubject
	return bus.Handlers{
		s(subjects.VolumeList):   bus.NewSubscriber[msg.VolumeListRequest](e.List),
		s(subjects.VolumeCreate): bus.NewSubscriber[msg.VolumeCreate](e.Create),
		s(subjects.VolumeRemove): bus.NewSubscriber[msg.VolumeRef](e.Remove),
	}
}
