package terminal

import (
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Handlers maps the terminal command subject to its subscriber. The
// per-session subjects (term.<session>.in) are subscribed by each session.
func Handlers(e Endpoints) bus.Handlers {
	return bus.Handlers{
		subjects.RunnerRequestSubject(subjects.TerminalOpen): bus.NewSubscriber[msg.TerminalOpen](e.Open),
	}
}
