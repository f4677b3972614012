package build

import (
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Handlers maps the build command subject (cmd.runner.build.start) to its
// subscriber.
func Handlers(e Endpoints) bus.Handlers {
	return bus.Handlers{
		subjects.RunnerRequestSubject(subjects.BuildStart): bus.NewSubscriber[msg.BuildRequest](e.Start),
	}
}
