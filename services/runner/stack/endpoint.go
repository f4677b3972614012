package stack

import (
	"github.com/go-kit/kit/endpoint"

	"github.com/dockeronline/platform/pkg/bus"
)

// Endpoints are the service's methods as go-kit endpoints.
type Endpoints struct {
	Up, Down, List, Get, Variables endpoint.Endpoint
}

// MakeEndpoints wraps s.
func MakeEndpoints(s Service) Endpoints {
	return Endpoints{
		Up:   bus.Endpoint(s.Up),
		Down: bus.Endpoint(s.Down),
		List: bus.Endpoint(s.List),
		Get:  bus.Endpoint(s.Get),

		Variables: bus.Endpoint(s.Variables),
	}
}
