package container

import (
	"github.com/go-kit/kit/endpoint"

	"github.com/dockeronline/platform/pkg/bus"
)

// Endpoints are the service's methods as go-kit endpoints.
type Endpoints struct {
	Create, List, Get, Start, Stop, Restart, Remove endpoint.Endpoint
}

// MakeEndpoints wraps s.
func MakeEndpoints(s Service) Endpoints {
	return Endpoints{
		Create:  bus.Endpoint(s.Create),
		List:    bus.Endpoint(s.List),
		Get:     bus.Endpoint(s.Get),
		Start:   bus.Endpoint(s.Start),
		Stop:    bus.Endpoint(s.Stop),
		Restart: bus.Endpoint(s.Restart),
		Remove:  bus.Endpoint(s.Remove),
	}
}
