package provision

import (
	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Serve subscribes the endpoints to cmd.provisioner.status and
// cmd.provisioner.retry in the provisioner's queue group.
func Serve(nc *nats.Conn, e Endpoints, limit int) ([]*nats.Subscription, error) {
	return bus.Serve(nc, subjects.ProvisionerQueue, limit, bus.Handlers{
		subjects.ProvisionerStatus: bus.NewSubscriber[msg.ProvisionStatusRequest](e.Status),
		subjects.ProvisionerRetry:  bus.NewSubscriber[msg.ProvisionRetryRequest](e.Retry),
	})
}
