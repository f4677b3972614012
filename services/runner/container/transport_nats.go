package container

import (
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Handlers maps each container command subject to its subscriber.
func Handlers(e Endpoints) bus.Handlers {
	s := subjects.RunnerRequestSubject
	return bus.Handlers{
		s(subjects.ContainerCreate):  bus.NewSubscriber[msg.ContainerCreate](e.Create),
		s(subjects.ContainerList):    bus.NewSubscriber[msg.ContainerListRequest](e.List),
		s(subjects.ContainerGet):     bus.NewSubscriber[msg.ContainerRef](e.Get),
		s(subjects.ContainerStart):   bus.NewSubscriber[msg.ContainerRef](e.Start),
		s(subjects.ContainerStop):    bus.NewSubscriber[msg.ContainerRef](e.Stop),
		s(subjects.ContainerRestart): bus.NewSubscriber[msg.ContainerRef](e.Restart),
		s(subjects.ContainerRemove):  bus.NewSubscriber[msg.ContainerRef](e.Remove),
	}
}
