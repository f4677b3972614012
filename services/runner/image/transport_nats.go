package image

import (
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Handlers maps each image command subject to its subscriber.
func Handlers(e Endpoints) bus.Handlers {
	s := subjects.RunnerRequestSubject
	return bus.Handlers{
		s(subjects.ImageList):   bus.NewSubscriber[msg.ImageListRequest](e.List),
		s(subjects.ImagePull):   bus.NewSubscriber[msg.ImagePullRequest](e.Pull),
		s(subjects.ImageRemove): bus.NewSubscriber[msg.ImageRef](e.Remove),
	}
}
