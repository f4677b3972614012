package network

import (
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Handlers maps the network subjects to their subscribers.
func Handlers(e Endpoints) bus.Handlers {
	s := subjects.RunnerRequestSubject
	return bus.Handlers{
		s(subjects.NetworkList):   bus.NewSubscriber[msg.NetworkListRequest](e.List),
		s(subjects.NetworkCreate): bus.NewSubscriber[msg.NetworkCreate](e.Create),
		s(subjects.NetworkRemove): bus.NewSubscriber[msg.NetworkRef](e.Remove),
	}
}
