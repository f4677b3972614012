package account

import (
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Handlers maps the auth subjects to their subscribers.
func Handlers(e Endpoints) bus.Handlers {
	return bus.Handlers{
		subjects.AuthSessionCheck: bus.NewSubscriber[msg.SessionCheck](e.CheckSession),
	}
}
