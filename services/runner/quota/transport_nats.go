package quota

import (
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Handlers maps the quota subjects to their subscribers.
func Handlers(s Service) bus.Handlers {
	usage, set := MakeEndpoints(s)
	return bus.Handlers{
		subjects.RunnerRequestSubject(subjects.UsageGet): bus.NewSubscriber[msg.UsageRequest](usage),
		subjects.RunnerRequestSubject(subjects.QuotaSet): bus.NewSubscriber[msg.QuotaSetRequest](set),
	}
}
