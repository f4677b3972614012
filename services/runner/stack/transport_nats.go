package stack

import (
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Handlers maps each stack command subject (cmd.runner.stack.*) to its
// subscriber.
func Handlers(e Endpoints) bus.Handlers {
	s := subjects.RunnerRequestSubject
	return bus.Handlers{
		s(subjects.StackUp):   bus.NewSubscriber[msg.StackUpRequest](e.Up),
		s(subjects.StackDown): bus.NewSubscriber[msg.StackRef](e.Down),
		s(subjects.StackList): bus.NewSubscriber[msg.StackListRequest](e.List),
		s(subjects.StackGet):  bus.NewSubscriber[msg.StackRef](e.Get),

		s(subjects.StackVariables): bus.NewSubscriber[msg.StackVariablesRequest](e.Variables),
	}
}
