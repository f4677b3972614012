package audit

import (
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Handlers maps cmd.auth.audit.list to its subscriber.
func Handlers(e Endpoints) bus.Handlers {
	return bus.Handlers{
		subjects.AuthRequestSubject(subjects.AuditList): bus.NewSubscriber[msg.AuditListRequest](e.List),
	}
}
