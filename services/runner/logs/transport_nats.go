package logs

import (
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Handlers maps the logs command subject to its subscriber.
func Handlers(e Endpoints) bus.Handlers {
	return bus.Handlers{
		subjects.RunnerRequestSubject(subjects.ContainerLogs): bus.NewSubscriber[msg.LogsRequest](e.Logs),
	}
}
