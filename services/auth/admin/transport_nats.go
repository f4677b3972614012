package admin

import (
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Handlers maps the cmd.auth.user.* subjects to their subscribers.
func Handlers(e Endpoints) bus.Handlers {
	s := subjects.AuthRequestSubject
	return bus.Handlers{
		s(subjects.UserList):    bus.NewSubscriber[msg.Empty](e.List),
		s(subjects.UserCreate):  bus.NewSubscriber[msg.UserCreateRequest](e.Create),
		s(subjects.UserDisable): bus.NewSubscriber[msg.UserRef](e.Disable),
		s(subjects.UserEnable):  bus.NewSubscriber[msg.UserRef](e.Enable),
		s(subjects.UserSetRole): bus.NewSubscriber[msg.UserRoleRequest](e.SetRole),
		s(subjects.UserDelete):  bus.NewSubscriber[msg.UserRef](e.Delete),
	}
}
