package tenant

import (
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Handlers maps cmd.runner.user.purge and cmd.runner.user.pause to their
// subscribers.
func Handlers(e Endpoints) bus.Handlers {
	s := subjects.RunnerRequestSubject
	return bus.Handlers{
		s(subjects.UserPurge): bus.NewSubscriber[msg.UserRef](e.Purge),
		s(subjects.UserPause): bus.NewSubscriber[msg.UserRef](e.Pause),
	}
}
